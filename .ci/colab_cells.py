"""Give every notebook of nbs/ an "Open in Colab" badge and one set-up cell, right after its title cell.

The set-up cell does nothing where `dream_wb` is importable with its data (a clone, `make test`, the site's run);
elsewhere (a fresh Colab) it clones the repository (settings.ini's `git_url`, or the environment variable
`DREAM_WB_REPO`), installs it beside the environment's own torch (pinned to the version already there, so pip keeps
it) with fastcore (the lessons' `fastcore.test`), and points the workbench at the clone's data/ (`DREAM_WB_DATA`). It is `#| hide`: the site leaves it out.
Idempotent: the two cells (ids `colab-badge`, `colab-setup`) are rewritten in place; a notebook is saved only when
it changes, so new notebooks get them by running this again.

    python .ci/colab_cells.py            # add or refresh the cells; prints the notebooks it changed
    python .ci/colab_cells.py --check    # exit 1, naming them, if any notebook lacks the cells or has stale ones
"""
import json, sys
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BADGE_ID, SETUP_ID = "colab-badge", "colab-setup"

def settings()->dict:
    cfg = ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini")
    return dict(cfg["DEFAULT"])

def badge(nb_name:str, s:dict)->str:
    url = f"https://colab.research.google.com/github/{s['user']}/{s['lib_name']}/blob/{s['branch']}/{s['nbs_path']}/{nb_name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"

def setup(s:dict)->str:
    return f'''#| hide
# Colab set-up: nothing to do in a clone; elsewhere clone the repository, install it beside this torch, use its data/
import os, sys, subprocess, importlib, importlib.util, importlib.metadata
from pathlib import Path
_spec = importlib.util.find_spec("dream_wb")
_data = Path(os.environ.get("DREAM_WB_DATA") or (Path(_spec.origin).parent.parent / "data" if _spec else "."))
if not (_data / "shapes-tiny" / "config.json").exists():
    _clone = Path("dream_wb-repo").resolve()
    if not _clone.exists():
        subprocess.run(["git", "clone", "-q", "--depth", "1", os.environ.get("DREAM_WB_REPO", "{s['git_url']}"), str(_clone)], check=True)
    _torch = [f"torch=={{importlib.metadata.version('torch')}}"] if importlib.util.find_spec("torch") else []
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", str(_clone), "fastcore<1.15", *_torch], check=True)  # fastcore: the lessons' tests
    os.environ["DREAM_WB_DATA"] = str(_clone / "data"); importlib.invalidate_caches()'''

def cell(kind:str, cid:str, src:str)->dict:
    c = {"cell_type": kind, "id": cid, "metadata": {}, "source": src.splitlines(keepends=True)}
    if kind == "code": c.update(execution_count=None, outputs=[])
    return c

def update(path:Path, s:dict, check:bool=False)->bool:
    "Put the two cells after the title cell of the notebook at `path`; True if it changed (saved unless `check`)."
    text = path.read_text()
    nb = json.loads(text)
    cells = [c for c in nb["cells"] if c.get("id") not in (BADGE_ID, SETUP_ID)]
    at = 1 if cells and cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).lstrip().startswith("# ") else 0
    cells[at:at] = [cell("markdown", BADGE_ID, badge(path.name, s)), cell("code", SETUP_ID, setup(s))]
    if cells == nb["cells"]: return False
    nb["cells"] = cells
    if not check: path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True

def main():
    check, s = "--check" in sys.argv, settings()
    changed = [p.name for p in sorted((ROOT / s["nbs_path"]).glob("*.ipynb")) if update(p, s, check)]
    if check:
        if changed: sys.exit(f"Notebooks without the current Colab badge and set-up cell: {changed}; run python .ci/colab_cells.py")
        print("every notebook has the Colab badge and set-up cell")
    else: print("changed:", changed or "none")

if __name__ == "__main__": main()
