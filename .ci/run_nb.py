"""Run one notebook exactly as `nbdev_test` does (nbdev's own `test_nb`, the settings' `tst_flags` skipped) and keep
the executed copy, so that one run both tests a lesson and gives the documentation site its outputs.

    python .ci/run_nb.py nbs/05_draft.ipynb --out _site/executed/05_draft.ipynb

Prints "Success." and exits 0 when every cell ran; on failure prints the traceback (as nbdev_test does) and exits 1."""
import argparse, os, sys
from pathlib import Path

import nbdev.test as nbtest
from nbdev.config import get_config
from execnb.nbio import write_nb

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
    ok, secs = nbtest.test_nb(Path(a.notebook).resolve(), skip_flags=flags)
    if not ok: sys.exit(1)
    if a.out and "nb" in ran:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(a.out).with_suffix(".tmp")
        write_nb(ran["nb"], tmp)
        os.replace(tmp, a.out)
    print("Success.")

if __name__ == "__main__": main()
