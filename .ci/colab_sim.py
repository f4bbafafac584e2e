"""A fresh Colab, simulated: the set-up cell and a lesson's first cells in a new environment, away from the checkout.

1. A new virtual environment (no system site packages) with only `torch==<this .venv's torch>` in it, as Colab comes
   with its own torch; a working folder in a temporary directory, outside the checkout.
2. There, with `DREAM_WB_REPO` pointing at this checkout's git repository (a local clone stands for GitHub), the lesson's
   set-up cell (id `colab-setup`) runs: it must clone, install `dream_wb` (not editable) without replacing torch, and
   set `DREAM_WB_DATA` to the clone's data/. Then the lesson's first code cells run in an IPython shell, and the
   built-in target loads from the clone's data/. The set-up cell, run again, must do nothing (no subprocess).
3. Installed without the repository: the non-editable `dream-wb` command, run without `DREAM_WB_DATA` from that
   folder, must exit with status 2 and a message naming `DREAM_WB_DATA` and the clone.

    python .ci/colab_sim.py [--lesson 00_core] [--cells 8] [--keep]

Prints one "PASS ..."/"FAIL ..." line per check (with seconds), and exits 1 if any failed. It uses the committed HEAD
(what a clone gets), not uncommitted changes.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, textwrap, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRIVER = r'''
import json, os, sys, time, importlib.util, importlib.metadata
cells, clone, n_cells = json.loads(open(sys.argv[1]).read()), os.path.abspath("dream_wb-repo"), int(sys.argv[2])
res = {}
assert importlib.util.find_spec("dream_wb") is None, "dream_wb is importable before the set-up cell: not a fresh environment"
torch_before = (importlib.metadata.version("torch"), importlib.util.find_spec("torch").origin)  # not imported: as a kernel starts
t = time.perf_counter()
exec(compile(cells["setup"], "colab-setup", "exec"), {})
res["setup_s"] = round(time.perf_counter() - t, 1)
res["data_env"] = os.environ.get("DREAM_WB_DATA")
assert res["data_env"] == os.path.join(clone, "data"), f"DREAM_WB_DATA is {res['data_env']!r}, not the clone's data/"
res["torch_after"] = importlib.metadata.version("torch")
assert res["torch_after"] == torch_before[0], f"torch replaced: {torch_before[0]} -> {res['torch_after']}"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
ran = 0
for src in cells["lesson"][:n_cells]:
    r = shell.run_cell(src, silent=True)
    if not r.success: raise SystemExit(f"lesson cell {ran + 1} failed: {r.error_in_exec or r.error_before_exec}\n{src[:400]}")
    ran += 1
res["lesson_cells"] = ran
import dream_wb, dream_wb.target
assert "site-packages" in dream_wb.__file__, f"dream_wb imported from {dream_wb.__file__}, not an installed copy"
assert str(dream_wb.target.DATA_DIR) == os.path.join(clone, "data"), dream_wb.target.DATA_DIR
target = dream_wb.target.load_target("shapes-tiny")
res["target"] = type(target.model).__name__
import subprocess
def refuse(*a, **k): raise AssertionError(f"the set-up cell ran {a[0] if a else k} a second time")
subprocess.run = refuse
exec(compile(cells["setup"], "colab-setup (again)", "exec"), {})
import torch
assert torch.__file__ == torch_before[1], f"torch now imports from {torch.__file__}, not {torch_before[1]}"
print(json.dumps(res))
'''

def cells_of(lesson:str)->dict:
    nb = json.loads((ROOT / "nbs" / f"{lesson}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    setup = [("".join(c["source"])) for c in code if c.get("id") == "colab-setup"]
    if not setup: sys.exit(f"FAIL {lesson} has no set-up cell (id colab-setup): run python .ci/colab_cells.py")
    lesson_src = ["".join(c["source"]) for c in code if c.get("id") != "colab-setup"]
    return {"setup": setup[0], "lesson": lesson_src}

def run(cmd, **kw)->subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)

def main()->int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lesson", default="00_core"); ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = ap.parse_args()
    from importlib.metadata import version
    torch_pin = f"torch=={version('torch').split('+')[0]}"
    work = Path(tempfile.mkdtemp(prefix="dwb-colab-"))
    content, venv = work / "content", work / "venv"
    content.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DREAM_WB_DATA", "IN_TEST", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", PIP_DISABLE_PIP_VERSION_CHECK="1", DREAM_WB_REPO=str(ROOT),
               OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"))
    fails, t_start = 0, time.perf_counter()
    def report(ok, what, secs):
        nonlocal fails; fails += not ok
        print(f"{'PASS' if ok else 'FAIL'} {what} ({secs:.0f} s)", flush=True)
    try:
        t0 = time.perf_counter()
        base = getattr(sys, "_base_executable", sys.executable)
        r = run([base, "-m", "venv", str(venv)])
        if r.returncode == 0: r = run([str(venv / "bin" / "pip"), "install", "-q", torch_pin], env=env)
        report(r.returncode == 0, f"fresh environment with only {torch_pin}" + ("" if r.returncode == 0 else f": {r.stderr[-1500:]}"),
               time.perf_counter() - t0)
        if r.returncode: return 1
        (work / "cells.json").write_text(json.dumps(cells_of(a.lesson)))
        (work / "driver.py").write_text(DRIVER)
        t0 = time.perf_counter()
        r = run([str(venv / "bin" / "python"), str(work / "driver.py"), str(work / "cells.json"), str(a.cells)], cwd=content, env=env)
        secs = time.perf_counter() - t0
        try: res = json.loads(r.stdout.strip().splitlines()[-1])
        except Exception: res = None
        ok = r.returncode == 0 and res is not None
        report(ok, f"Colab set-up cell then {a.lesson}'s first {a.cells} cells, outside the checkout: " +
               (f"set-up {res['setup_s']} s (clone + pip install, torch kept at {res['torch_after']}), {res['lesson_cells']} cells ran, "
                f"{res['target']} loaded from the clone's data/, the cell run again did nothing" if ok else
                f"exit {r.returncode}\n{textwrap.indent((r.stdout + r.stderr)[-3000:], '    ')}"), secs)
        t0 = time.perf_counter()
        env_cli = {k: v for k, v in env.items() if k != "DREAM_WB_DATA"}
        r = run([str(venv / "bin" / "dream-wb"), "eval-target", "--target", "shapes-tiny"], cwd=content, env=env_cli)
        msg = r.stderr + r.stdout
        ok = r.returncode == 2 and "DREAM_WB_DATA" in msg and "clone" in msg and "Traceback" not in msg
        report(ok, "non-editable install, no DREAM_WB_DATA: dream-wb exits 2 naming DREAM_WB_DATA and the clone" +
               ("" if ok else f": exit {r.returncode}: {msg[-1500:]}"), time.perf_counter() - t0)
    finally:
        print(f"     simulated Colab: {time.perf_counter() - t_start:.0f} s in all", flush=True)
        if a.keep: print(f"     kept {work}")
        else: shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0

if __name__ == "__main__": sys.exit(main())
