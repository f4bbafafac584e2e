"""Run one notebook as a reader's Run All does (JupyterLab, Colab): every cell top to bottom in a real kernel, the cells
flagged `slow`, `gpu` and `eval: false` included, without `IN_TEST`; keep the executed copy, so that one run both
tests a lesson and gives the documentation site its outputs.

    python .ci/run_nb.py nbs/05_draft.ipynb --out _site/executed/05_draft.ipynb [--timeout 900]

The kernel starts in nbs/ (as Jupyter starts it beside the notebook) with the current environment less `IN_TEST`.
Prints "Success. N s" and exits 0 when every cell ran; on failure prints the failing cell's error and exits 1. The
executed copy is written (atomically) either way, so a failure can be read in it."""
import argparse, os, sys, tempfile, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

def run(path:Path, out:Path=None, timeout:int=900)->tuple:
    "Execute the notebook at `path` as Run All does; (ok, seconds, error text)."
    os.environ.pop("IN_TEST", None)  # a reader's kernel has no IN_TEST (the kernel inherits this environment)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start, err = time.perf_counter(), None
    with tempfile.TemporaryFile("w+") as log:  # the kernel's own log (its start-up notices); shown only if it dies
        try: client.execute(stderr=log)
        except (CellExecutionError, CellTimeoutError) as e: err = f"{type(e).__name__}: {e}"
        except DeadKernelError as e:
            log.seek(0)
            err = f"{type(e).__name__}: {e}\n{log.read()[-4000:]}"
    secs = time.perf_counter() - start
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
    return err is None, secs, err

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--out", help="where to write the executed notebook")
    ap.add_argument("--timeout", type=int, default=900, help="seconds any one cell may take")
    a = ap.parse_args()
    ok, secs, err = run(Path(a.notebook).resolve(), Path(a.out).resolve() if a.out else None, a.timeout)
    if not ok:
        print(err, file=sys.stderr)
        sys.exit(1)
    print(f"Success. {secs:.1f} s")

if __name__ == "__main__": main()
