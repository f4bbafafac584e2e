"""Build the HTML documentation site from the executed notebooks that `.ci/run_nb.py` kept (`_site/executed/`).

Quarto, which `nbdev_docs` needs, cannot be installed on these machines (no wheel; its source package downloads a
binary at build time), so the site is made with nbconvert, which JupyterLab already brings. Every page works offline:
plotly figures are drawn by one local copy of plotly.js (from the plotly package), external scripts and styles that
nbconvert's template would fetch are left out, and an ipywidgets panel, which needs a live kernel, is replaced by a
note saying so.

    python .ci/site.py            # _site/executed/*.ipynb -> _site/*.html and _site/index.html
"""
import html, json, re, shutil, sys
from pathlib import Path

import nbformat, plotly
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_site"
WIDGET = "application/vnd.jupyter.widget-view+json"
PLOTLY = "application/vnd.plotly.v1+json"
PROGRESS = re.compile(r"\d+%\||\[\d+:\d+")  # tqdm's text form of a progress bar widget ("42%|", "[00:03<00:10")
NOTE = ('<div class="dwb-widget-note" style="border:1px dashed #999;padding:6px;color:#555">Interactive panel '
        '(ipywidgets): it needs a live kernel. Open this notebook in JupyterLab to use it.</div>')

def _figure_html(fig:dict, n:int)->str:
    div = f"dwb-fig-{n}"
    spec = json.dumps({"data": fig.get("data", []), "layout": fig.get("layout", {})})
    return (f'<div id="{div}" class="dwb-plotly" style="width:100%;height:{fig.get("layout", {}).get("height", 420)}px"></div>'
            f'<script>Plotly.newPlot("{div}", ...(s => [s.data, s.layout])({spec}), {{"responsive": true}});</script>')

def _outputs(nb)->dict:
    "Rewrite outputs for a static page; returns counts of figures and widgets."
    n = {"figures": 0, "widgets": 0}
    for cell in nb.cells:
        if cell.cell_type != "code": continue
        outs = []
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if PLOTLY in data:
                n["figures"] += 1
                o["data"] = {"text/html": _figure_html(data[PLOTLY], n["figures"])}
            elif WIDGET in data and PROGRESS.search(str(data.get("text/plain", ""))):
                continue  # a tqdm progress bar: nothing to show on a static page
            elif WIDGET in data:
                n["widgets"] += 1
                o["data"] = {"text/html": NOTE}
            elif "window.PlotlyConfig" in str(data.get("text/html", "")):
                continue  # plotly's notebook initialisation (a second inline copy of plotly.js)
            outs.append(o)
        cell["outputs"] = outs
    return n

def _offline(page:str)->str:
    "Drop scripts and styles the template would fetch from the network; load the site's plotly.js."
    page = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", page)
    page = re.sub(r'<link[^>]+href="https?://[^"]*"[^>]*>', "", page)
    return page.replace("<head>", '<head>\n<script src="plotly.min.js"></script>', 1)

def title_of(nb)->str:
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.lstrip().startswith("# "): return c.source.lstrip()[2:].split("\n")[0]
    return ""

def build(src=SITE / "executed", out=SITE)->list:
    nbs = sorted(Path(src).glob("*.ipynb"))
    if not nbs: sys.exit(f"No executed notebooks in {src}: run the tests first (make test, or make docs).")
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", out / "plotly.min.js")
    exporter = HTMLExporter(template_name="lab")
    pages = []
    for p in nbs:
        nb = nbformat.read(p, as_version=4)
        nb.metadata.pop("widgets", None)  # the live kernel's widget state: its embed script would fetch from unpkg.com
        counts = _outputs(nb)
        body, _ = exporter.from_notebook_node(nb)
        (out / f"{p.stem}.html").write_text(_offline(body))
        pages.append({"page": f"{p.stem}.html", "title": title_of(nb) or p.stem, **counts})
    items = "\n".join(f'<li><a href="{x["page"]}">{html.escape(x["title"])}</a> <small>({x["page"]}; {x["figures"]} figures)</small></li>'
                      for x in pages)
    (out / "index.html").write_text(f'<!doctype html><html><head><meta charset="utf-8"><title>dream_wb lessons</title></head>'
                                    f'<body style="font-family:sans-serif;max-width:50em;margin:2em auto"><h1>dream_wb: the lessons</h1>'
                                    f'<p>Each page is a notebook of <code>nbs/</code> as the last test run executed it.</p>'
                                    f'<ol>{items}</ol></body></html>')
    (out / "pages.json").write_text(json.dumps(pages, indent=1))
    return pages

if __name__ == "__main__":
    for x in build(): print(f'{x["page"]}: {x["figures"]} figures, {x["widgets"]} widget panels')
    print(f"site: {SITE / 'index.html'}")
