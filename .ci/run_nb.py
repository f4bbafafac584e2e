"""Run one notebook as a reader's Run All does (JupyterLab, Colab): every cell top to bottom in a real kernel, the cells
flagged `slow`, `gpu` and `eval: false` included, without `IN_TEST`; keep the executed copy, so that one run both
tests a lesson and gives the documentation site its outputs.

    python .ci/run_nb.py nbs/05_draft.ipynb --out _site/executed/05_draft.ipynb [--timeout 900]

The kernel starts in nbs/ (as Jupyter starts it beside the notebook) with the current environment less `IN_TEST`.
Prints "Success. N s" and exits 0 when every cell ran; on failure prints the failing cell's error and exits 1. The
executed copy is written (atomically) either way, so a failure can be read in it."""
import argparse, os, signal, sys, tempfile, threading, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

IDLE_S = 90  # a kernel that uses no CPU this long while a cell runs is stuck, not working (see `_watch`)

def _cpu_ticks(pid:int)->int:
    "CPU ticks so far of process `pid`, its finished children and, recursively, its running ones (Linux /proc)."
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    kids = {int(k) for t in Path(f"/proc/{pid}/task").iterdir() for k in (t / "children").read_text().split()}
    total = sum(int(x) for x in f[11:15])  # utime, stime, cutime, cstime
    for k in kids:
        try: total += _cpu_ticks(k)
        except (OSError, IndexError): pass
    return total

def _watch(client, stop:threading.Event, hung:list):
    """Kill the kernel if it sits idle for IDLE_S seconds while nbclient still waits for a cell: under load, nbclient
    (0.11, with ipykernel 6 and 7) sometimes never receives the end of a cell whose widgets capture output, and waits
    for the whole cell timeout on a kernel that has finished (both in epoll_wait, seen with py-spy)."""
    last, since = None, time.monotonic()
    while not stop.wait(5):
        pid = getattr(getattr(getattr(client, "km", None), "provisioner", None), "pid", None)
        if not pid: continue
        try: ticks = _cpu_ticks(pid)
        except (OSError, IndexError): continue
        if ticks != last: last, since = ticks, time.monotonic()
        elif time.monotonic() - since > IDLE_S:
            hung.append(True)
            try: os.kill(pid, signal.SIGKILL)
            except OSError: pass
            return

def run_once(path:Path, timeout:int=900)->tuple:
    "Execute the notebook once; (ok, seconds, error text, executed notebook, whether the watchdog found it stuck)."
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start, err, stop, hung = time.perf_counter(), None, threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(client, stop, hung), daemon=True)
    watcher.start()
    with tempfile.TemporaryFile("w+") as log:  # the kernel's own log (its start-up notices); shown only if it dies
        try: client.execute(stderr=log)
        except (CellExecutionError, CellTimeoutError) as e: err = f"{type(e).__name__}: {e}"
        except DeadKernelError as e:
            log.seek(0)
            err = f"{type(e).__name__}: {e}\n{log.read()[-4000:]}"
        finally: stop.set()
    return err is None, time.perf_counter() - start, err, nb, bool(hung)

def run(path:Path, out:Path=None, timeout:int=900)->tuple:
    "Execute the notebook at `path` as Run All does, once more if the watchdog found the client stuck; (ok, seconds, error text)."
    os.environ.pop("IN_TEST", None)  # a reader's kernel has no IN_TEST (the kernel inherits this environment)
    ok, secs, err, nb, hung = run_once(path, timeout)
    if hung:
        print(f"{path.name}: the kernel sat idle {IDLE_S} s while the client waited (nbclient lost the end of a cell); running it again",
              file=sys.stderr, flush=True)
        ok, secs, err, nb, hung = run_once(path, timeout)
        if hung: err = f"stuck twice (kernel idle {IDLE_S} s while the client waited)\n{err}"
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
    return ok, secs, err

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
