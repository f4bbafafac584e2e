"""Run (or resume) the shapes-smol ablation of 11_smol_drafts in the background, committing each finished row.

The study itself is `dream_wb.smol_drafts.run_ablation_study`: resumable from its JSON (data/results/, in git) and
from the row in progress's checkpoint (runs/, not in git: a new machine loses only that row). This script adds one
thing a long background run wants: a git commit of the study's JSON as soon as a row (or the benchmark) finishes.

    nohup nice -n 5 .venv/bin/python .ci/smol_ablation.py > runs/ablation.log 2>&1 &

The precision is the study's own (bf16 autocast where the CPU multiplies bf16 natively, else float32); a resumed
study keeps the one its JSON records."""
import json, subprocess, time
import torch
from dream_wb.core import resolve_dtype
from dream_wb.smol_drafts import run_ablation_study, ABLATION_STUDY

def commit(study:dict):
    "Commit the study's JSON alone (retrying while another git command holds the index)."
    rows = [f"{r['row']}@{r['seed']}" for r in study["rows"]]
    msg = f"Ablation on shapes-smol: {len(rows)} rows measured ({rows[-1]} just finished)" + ("; benchmark run" if study.get("bench") else "")
    for _ in range(20):
        subprocess.run(["git", "add", str(ABLATION_STUDY)])
        r = subprocess.run(["git", "commit", "-q", "-m", msg, "--", str(ABLATION_STUDY)], capture_output=True, text=True)
        if r.returncode == 0 or "nothing" in r.stdout + r.stderr: print("committed:", msg, flush=True); return
        time.sleep(3)
    print("COMMIT FAILED", r.stdout, r.stderr, flush=True)

if __name__ == "__main__":
    mp = (json.loads(ABLATION_STUDY.read_text())["mixed_precision"] if ABLATION_STUDY.exists() else
          "bf16" if resolve_dtype("auto") == torch.bfloat16 else "no")
    t0 = time.time()
    run_ablation_study(mixed_precision=mp, on_row=commit, progress=True)
    print(f"done in {(time.time() - t0) / 60:.0f} min", flush=True)
