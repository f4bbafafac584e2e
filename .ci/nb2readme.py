"""Write README.md from nbs/index.ipynb (markdown cells as they are, code cells as python blocks, and a cell marked
`#| readme: output` as the markdown its last expression renders, computed here from the committed data it reads).

nbdev_readme needs Quarto, which these machines do not have; this does the same for a notebook without outputs.
Usage: python .ci/nb2readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import ast, json, os, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
cells = json.loads((root / "nbs" / "index.ipynb").read_text())["cells"]
def rendered(src:str)->str:
    "The markdown of a cell's last expression (an IPython Markdown object or a string), run as the notebook runs it (in nbs/)."
    tree, ns, cwd = ast.parse(src), {}, os.getcwd()
    last = tree.body.pop()
    os.chdir(root / "nbs")
    try:
        exec(compile(tree, "index.ipynb", "exec"), ns)
        value = eval(compile(ast.Expression(last.value), "index.ipynb", "eval"), ns)
    finally: os.chdir(cwd)
    return getattr(value, "data", value)

parts = []
for c in cells:
    src = "".join(c["source"])
    if c["cell_type"] == "markdown": parts.append(src)
    elif c["cell_type"] == "code":
        lines = [l for l in src.splitlines() if not l.startswith("#|")]
        if any(l.replace(" ", "") == "#|readme:output" for l in src.splitlines()):
            parts.append(rendered(src)); continue
        if src.lstrip().startswith("#| hide") or not any(l.strip() for l in lines): continue
        parts.append("```python\n" + "\n".join(lines).strip("\n") + "\n```")
text = "<!-- Generated from nbs/index.ipynb by .ci/nb2readme.py: edit the notebook, not this file. -->\n\n" + "\n\n".join(parts) + "\n"
if "--check" in sys.argv:
    sys.exit(0 if (root / "README.md").read_text() == text else 1)
(root / "README.md").write_text(text)
