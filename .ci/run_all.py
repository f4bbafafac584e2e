"""Every lesson as a reader's Run All executes it (`.ci/run_nb.py`: nbclient, a real kernel, all cells, flags off, no
IN_TEST), each in its own process, `--jobs` at a time (longest first), each executed copy kept in _site/executed/ for the site; then checks that the lessons left
data/ as they found it. Writes the run's record to _site/run-all.json (per notebook seconds and pass/fail, date, CPU,
threads, jobs, wall time). One line per test ("PASS ..." / "FAIL ..."); the last line is "N passed, N failed".

    python .ci/run_all.py              # every nbs/*.ipynb, one at a time
    python .ci/run_all.py --jobs 2     # two kernels at once (OMP_NUM_THREADS defaults to cores / jobs)
    python .ci/run_all.py 05_draft     # only the notebooks whose names contain one of these strings (their entries
                                       # replace theirs in the last record; the others are kept)
    python .ci/run_all.py --record     # copy the last run's record to data/results/run-all.json (every lesson in it)
"""
import argparse, datetime, hashlib, json, os, platform, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE, RECORD = ROOT / "_site", ROOT / "_site" / "run-all.json"
SHIPPED = ROOT / "data" / "results" / "run-all.json"

def cpu_model()->str:
    "The CPU's model name as lscpu gives it."
    try: out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError: return platform.processor() or "unknown"
    return next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name")), "unknown")

def data_state()->list:
    "What git says of data/ (tracked changes, untracked and ignored files), with a digest of each changed file."
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--ignored", "data/"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    def digest(line):
        p = ROOT / line[3:].strip('"')
        return hashlib.md5(p.read_bytes()).hexdigest() if p.is_file() and not line.startswith("!!") else ""
    return [(l, digest(l)) for l in out]

def _atomic_json(obj, path:Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)

def _order(nbs:list)->list:
    "Longest first (by the shipped record's seconds), so that parallel workers finish together."
    last = {r["notebook"]: r["seconds"] for r in json.loads(SHIPPED.read_text())["notebooks"]} if SHIPPED.exists() else {}
    return sorted(nbs, key=lambda p: -last.get(p.stem, 60))

def run_all(only=(), jobs:int=1)->dict:
    "Run the notebooks (`jobs` kernels at a time), print a line per test, return the record."
    nbs = [p for p in sorted((ROOT / "nbs").glob("*.ipynb")) if not only or any(o in p.stem for o in only)]
    before, results = data_state(), []
    def one(p):  # each notebook in its own process (nbclient's event loop wants a main thread)
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(ROOT / ".ci" / "run_nb.py"), str(p), "--out", str(SITE / "executed" / p.name)],
                           capture_output=True, text=True)
        m = re.search(r"Success\. ([\d.]+) s", r.stdout)  # the kernel's own time, as run_nb measures it
        ok, secs, err = r.returncode == 0, float(m[1]) if m else time.perf_counter() - t, r.stderr + r.stdout
        print(f"{'PASS' if ok else 'FAIL'} {p.relative_to(ROOT)} ({secs:.0f} s)", flush=True)
        if not ok: print("\n".join(err.splitlines()[-40:]), flush=True)
        return {"notebook": p.stem, "seconds": round(secs, 1), "ok": ok}
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool: results = sorted(pool.map(one, _order(nbs)), key=lambda r: r["notebook"])
    wall = time.perf_counter() - start
    after = data_state()
    unchanged = before == after
    print(f"{'PASS' if unchanged else 'FAIL'} data/ unchanged by the lessons (git status --porcelain --ignored data/)")
    if not unchanged: print("  before:", [l for l, _ in before], "\n  after: ", [l for l, _ in after])
    return {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "threads": int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())),
            "cores": os.cpu_count(), "jobs": jobs, "wall_seconds": round(wall, 1),
            "total_seconds": round(sum(r["seconds"] for r in results), 1), "data_unchanged": unchanged,
            "notebooks": results}

def record():
    "Copy the last run's record, if it covers every notebook and left data/ unchanged, to data/results/run-all.json (what the index renders)."
    rec = json.loads(RECORD.read_text())
    names = {p.stem for p in (ROOT / "nbs").glob("*.ipynb")}
    missing, failed = names - {r["notebook"] for r in rec["notebooks"]}, [r["notebook"] for r in rec["notebooks"] if not r["ok"]]
    if missing or not rec["data_unchanged"]:
        sys.exit(f"Not recorded: the last run ({RECORD}) left out {sorted(missing)}; data/ unchanged: {rec['data_unchanged']}. "
                 "Run `make test` (or .ci/run_all.py) first.")
    _atomic_json(rec, SHIPPED)
    if failed: print(f"Recorded with failures (the index shows them): {failed}")
    print(f"Recorded {RECORD.relative_to(ROOT)} as {SHIPPED.relative_to(ROOT)}; now regenerate README.md (python .ci/nb2readme.py).")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="substrings of notebook names (default: all)")
    ap.add_argument("--record", action="store_true", help="copy the last run's record to data/results/run-all.json")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks run at once (each kernel then gets cores/jobs threads)")
    a = ap.parse_args()
    if a.record: return record()
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) // a.jobs)))
    rec = run_all(a.only, a.jobs)
    if a.only and RECORD.exists():  # a partial rerun: keep the last record's other notebooks
        last = json.loads(RECORD.read_text())
        new = {r["notebook"] for r in rec["notebooks"]}
        rec["notebooks"] = sorted([r for r in last["notebooks"] if r["notebook"] not in new] + rec["notebooks"], key=lambda r: r["notebook"])
        rec["total_seconds"] = round(sum(r["seconds"] for r in rec["notebooks"]), 1)
    _atomic_json(rec, RECORD)
    n_pass = sum(r["ok"] for r in rec["notebooks"]) + rec["data_unchanged"]
    n_fail = len(rec["notebooks"]) + 1 - n_pass
    print(f"Run All of {len(rec['notebooks'])} notebooks: {rec['total_seconds']:.0f} s of kernels, {rec.get('wall_seconds', 0):.0f} s of wall time"
          f" ({a.jobs} at a time, {os.environ['OMP_NUM_THREADS']} threads each); record in {RECORD.relative_to(ROOT)}")
    print(f"{n_pass} passed, {n_fail} failed")
    sys.exit(1 if n_fail else 0)

if __name__ == "__main__": main()
