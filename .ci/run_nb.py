"""Run one notebook exactly as `nbdev_test` does (nbdev's own `test_nb`, the settings' `tst_flags` skipped) and keep
the executed copy, so that one run both tests a lesson and gives the documentation site its outputs.

    python .ci/run_nb.py nbs/05_draft.ipynb --out _site/executed/05_draft.ipynb

Cells flagged `gpu` run when torch sees a GPU; otherwise they are skipped and counted ("Skipped: N cells flagged gpu").
Prints "Success." and exits 0 when every cell ran; on failure prints the traceback (as nbdev_test does) and exits 1."""
import argparse, os, sys
from pathlib import Path

import nbdev.test as nbtest
from nbdev.config import get_config
from execnb.nbio import write_nb

def _has_gpu()->bool:
    import torch
    return torch.cuda.is_available()

def _gpu_cells(path)->int:
    "Code cells carrying the `gpu` test flag (a `#| gpu` directive line)."
    import json
    cells = json.loads(Path(path).read_text())["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code"
               and any(l.strip().replace(" ", "") == "#|gpu" for l in "".join(c["source"]).splitlines()))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--out", help="where to write the executed notebook (skipped when the run fails)")
    a = ap.parse_args()
    ran = {}
    real = nbtest.CaptureShell.run_all
    def run_all(self, nb, *args, **kwargs):  # the notebook object test_nb executes, with its outputs
        ran["nb"] = nb
        return real(self, nb, *args, **kwargs)
    nbtest.CaptureShell.run_all = run_all
    flags = get_config().get("tst_flags", "").split()
    gpu = _has_gpu()
    if gpu: flags = [f for f in flags if f != "gpu"]  # GPU cells run where torch sees a GPU
    ok, secs = nbtest.test_nb(Path(a.notebook).resolve(), skip_flags=flags)
    if not ok: sys.exit(1)
    n_gpu = 0 if gpu else _gpu_cells(a.notebook)
    if n_gpu: print(f"Skipped: {n_gpu} cells flagged gpu (torch sees no GPU here)")
    if a.out and "nb" in ran:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(a.out).with_suffix(".tmp")
        write_nb(ran["nb"], tmp)
        os.replace(tmp, a.out)
    print("Success.")

if __name__ == "__main__": main()
