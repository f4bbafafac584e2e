"""Write README.md from nbs/index.ipynb (markdown cells as they are, code cells as python blocks).

nbdev_readme needs Quarto, which these machines do not have; this does the same for a notebook without outputs.
Usage: python .ci/nb2readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
cells = json.loads((root / "nbs" / "index.ipynb").read_text())["cells"]
parts = []
for c in cells:
    src = "".join(c["source"])
    if c["cell_type"] == "markdown": parts.append(src)
    elif c["cell_type"] == "code":
        lines = [l for l in src.splitlines() if not l.startswith("#|")]
        if src.lstrip().startswith("#| hide") or not any(l.strip() for l in lines): continue
        parts.append("```python\n" + "\n".join(lines).strip("\n") + "\n```")
text = "<!-- Generated from nbs/index.ipynb by .ci/nb2readme.py: edit the notebook, not this file. -->\n\n" + "\n\n".join(parts) + "\n"
if "--check" in sys.argv:
    sys.exit(0 if (root / "README.md").read_text() == text else 1)
(root / "README.md").write_text(text)
