"""Build the documentation site with MkDocs + Material from the executed notebooks that `.ci/run_nb.py` kept
(`_site/executed/`); no notebook is executed again.

Each notebook becomes one Markdown page (`_site/md/`), the way nbdev turns notebooks into Quarto pages: the front-matter
cell (`# Title` and `> description`) gives the page's title and description, `#|` directives are dropped, cells marked
`#| hide` (the Colab set-up cell among them) are left out and `#| echo: false` shows the output only. An `#| export`
cell shows, as nbdev's show_doc does, a card for each public function or class it defines (signature, docstring and the
per-parameter comments that fastcore's docments reads), its source folded under it. Outputs are kept as the run made
them: text, HTML tables, pictures, and plotly figures drawn by one local copy of plotly.js; an ipywidgets panel (it
needs a live kernel) is replaced by a note and tqdm bars are left out. A reference page lists every public function
and class of the package, module by module. Material's search and offline plugins make full-text search work from
the file system; no page fetches anything from the network (fonts off, no CDN).

    python .ci/site.py            # _site/executed/*.ipynb -> _site/md/*.md -> _site/html/ (open _site/html/index.html)
"""
import ast, html, inspect, json, os, re, shutil, subprocess, sys, types
from configparser import ConfigParser
from pathlib import Path

import nbformat, plotly

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_site"
SRC, MD, HTML = SITE / "executed", SITE / "md", SITE / "html"
WIDGET = "application/vnd.jupyter.widget-view+json"
PLOTLY = "application/vnd.plotly.v1+json"
PROGRESS = re.compile(r"\d+%\||\[\d+:\d+")  # tqdm's text form of a progress bar ("42%|", "[00:03<00:10")
NOTE = ('<div class="dwb-widget-note">Interactive panel (ipywidgets): it needs a live kernel. '
        'Open this notebook in JupyterLab or Colab to use it.</div>')
DIRECTIVE = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")
SHIM_CDN, SHIM_LOCAL = "https://unpkg.com/iframe-worker/shim", "iframe-worker-shim.js"
COLAB_BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(([^)]*)\)")

def settings()->dict:
    cfg = ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini")
    return dict(cfg["DEFAULT"])

# ------------------------------------------------------------------------------------------------ the API cards
def _anno(a)->str:
    if a in (inspect.Parameter.empty, None): return ""
    return a if isinstance(a, str) else inspect.formatannotation(a)

def _signature(obj, name:str)->str:
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return name
    ps = [str(p).replace(": ", ":") for p in sig.parameters.values() if p.name != "self"]
    ret = "" if sig.return_annotation in (inspect.Signature.empty, None) or inspect.isclass(obj) else f"->{_anno(sig.return_annotation)}"
    one = f"{name}({', '.join(ps)}){ret}"
    return one if len(one) <= 100 else f"{name}(\n" + "".join(f"    {p},\n" for p in ps) + f"){ret}"

def _cell(s)->str: return str(s).replace("|", "\\|").replace("\n", " ")

def card(obj, name:str, anchor:str, level:int=4)->str:
    "Markdown for one function or class: heading, signature, docstring, the docments table, a class's public methods."
    from fastcore.docments import docments
    out = [f"{'#' * level} `{name}` {{ #{anchor} .dwb-api }}", "", "```python", _signature(obj, name), "```", ""]
    doc = inspect.getdoc(obj) if (inspect.isfunction(obj) or obj.__doc__) else None
    if doc and not (inspect.isclass(obj) and doc.startswith(obj.__name__ + "(")): out += [doc, ""]  # a dataclass's made-up doc
    try: params = docments(obj, full=True)
    except Exception: params = {}
    rows = [(k, v) for k, v in params.items() if k not in ("self",) and not (k == "return" and not v.get("docment"))]
    if any(v.get("docment") for _, v in rows) or len(rows) > 1:
        out += ["| | **Type** | **Default** | **Details** |", "|---|---|---|---|"]
        for k, v in rows:
            d = v.get("default", inspect.Parameter.empty)
            dflt = "" if d is inspect.Parameter.empty else f"`{_cell(repr(d))}`"
            out.append(f"| **{'Returns' if k == 'return' else k}** | {_cell(_anno(v.get('anno')))} | {dflt} | {_cell(v.get('docment') or '')} |")
        out.append("")
    if inspect.isclass(obj):
        meths = [(m, f) for m, f in vars(obj).items() if not m.startswith("_") and inspect.isfunction(f) and f.__doc__]
        if meths:
            out += ["Methods:", ""] + [f"- `{m}{_signature(f, '').replace(chr(10), ' ')}`: {f.__doc__.strip().splitlines()[0]}"
                                        for m, f in meths] + [""]
    return "\n".join(out)

def _public(mod:types.ModuleType)->list:
    "The module's public functions and classes (its __all__, as nbdev writes it), in source order."
    names = [n for n in getattr(mod, "__all__", []) if not n.startswith("_")]
    return [n for n in names if inspect.isfunction(getattr(mod, n, None)) or inspect.isclass(getattr(mod, n, None))]

def export_cards(src:str, modname:str)->list:
    "Cards for the public functions and classes an `#| export` cell defines (and the methods it patches onto a class)."
    import importlib
    try: mod, tree = importlib.import_module(modname), ast.parse(src)
    except Exception: return []
    public, cards = set(_public(mod)), []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue
        patched = any((isinstance(d, ast.Name) and d.id == "patch") or (isinstance(d, ast.Call) and getattr(d.func, "id", "") == "patch")
                      for d in node.decorator_list)
        if patched and node.args.args and isinstance(node.args.args[0].annotation, ast.Name) and not node.name.startswith("_"):
            cls = getattr(mod, node.args.args[0].annotation.id, None)
            f = getattr(cls, node.name, None)
            if f is not None: cards.append(card(f, f"{cls.__name__}.{node.name}", f"{modname}.{cls.__name__}.{node.name}"))
        elif node.name in public:
            cards.append(card(getattr(mod, node.name), node.name, f"{modname}.{node.name}"))
    return cards

def reference_page(modules:list)->str:
    import importlib
    out = ["# API reference", "", "Every public function and class of `dream_wb`, module by module, in the order of the lessons "
           "that make them (each module is written by one notebook, named in its heading).", ""]
    for modname, lesson in modules:
        mod = importlib.import_module(modname)
        names = _public(mod)
        if not names: continue
        out += [f"## `{modname}` {{ #{modname} }}", "", f"Made by the lesson [{lesson}]({lesson}.md).", ""]
        out += [card(getattr(mod, n), n, f"{modname}.{n}", level=3) for n in names]
    return "\n".join(out) + "\n"

# ------------------------------------------------------------------------------------------------ cells and outputs
def directives(src:str)->tuple:
    "({directive: value}, the source without its leading directive lines)."
    lines, found = src.splitlines(), {}
    while lines and (m := DIRECTIVE.match(lines[0])):
        found[m.group(1).lower()] = m.group(2).lower(); lines.pop(0)
    return found, "\n".join(lines).strip("\n")

def _figure(fig:dict, n:int)->str:
    div = f"dwb-fig-{n}"
    spec = json.dumps({"data": fig.get("data", []), "layout": fig.get("layout", {})}).replace("</", "<\\/")
    h = fig.get("layout", {}).get("height", 420)
    return (f'<div id="{div}" class="dwb-plotly" style="width:100%;height:{h}px"></div>\n'
            f'<script>document.addEventListener("DOMContentLoaded", () => {{ const s = {spec}; '
            f'Plotly.newPlot("{div}", s.data, s.layout, {{"responsive": true}}); }});</script>')

def _text(t)->str: return f'<pre class="dwb-out">{html.escape("".join(t) if isinstance(t, list) else t)}</pre>'

def output_html(o, counts:dict)->str:
    "One output as HTML for a static page ('' when it is left out)."
    kind = o.get("output_type")
    if kind == "stream":
        text = "".join(o.get("text", ""))
        if o.get("name") == "stderr": text = "\n".join(l for l in text.splitlines() if not PROGRESS.search(l))
        return _text(text) if text.strip() else ""
    if kind == "error": return _text("\n".join(re.sub(r"\x1b\[[0-9;]*m", "", l) for l in o.get("traceback", [])))
    data = o.get("data", {})
    if PLOTLY in data:
        counts["figures"] += 1; return _figure(data[PLOTLY], counts["figures"])
    if WIDGET in data:
        if PROGRESS.search(str(data.get("text/plain", ""))): return ""
        counts["widgets"] += 1; return NOTE
    if "text/html" in data:
        h = "".join(data["text/html"])
        if "window.PlotlyConfig" in h or not h.strip(): return ""  # plotly's notebook initialisation
        return f'<div class="dwb-html">\n{h}\n</div>'
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<img class="dwb-img" alt="output" src="data:{mime};base64,{"".join(data[mime]).strip()}">'
    if "image/svg+xml" in data: return f'<div class="dwb-html">{"".join(data["image/svg+xml"])}</div>'
    if "text/markdown" in data:
        import markdown
        return f'<div class="dwb-html">{markdown.markdown("".join(data["text/markdown"]), extensions=["tables", "fenced_code"])}</div>'
    if "text/plain" in data: return _text(data["text/plain"])
    return ""

def front_matter(src:str)->tuple:
    "(title, description, the rest) of nbdev's front-matter cell: '# Title', then '> description' lines."
    lines = src.strip().splitlines()
    title = lines[0][2:].strip() if lines and lines[0].startswith("# ") else ""
    rest, desc = lines[1:], []
    while rest and not rest[0].strip(): rest.pop(0)
    while rest and rest[0].startswith(">"): desc.append(rest.pop(0).lstrip("> ").strip())
    return title, " ".join(desc), "\n".join(rest).strip()

def page(nb, stem:str, lib:str)->tuple:
    "Markdown of one executed notebook; (markdown, title, description, counts)."
    counts, parts, title, desc, colab, module = {"figures": 0, "widgets": 0}, [], stem, "", None, None
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            if i == 0 and c.source.lstrip().startswith("# "):
                title, desc, rest = front_matter(c.source)
                if rest: parts.append(rest)
            elif (m := COLAB_BADGE.search(c.source)): colab = m.group(1)
            else: parts.append(c.source)
            continue
        if c.cell_type != "code": continue
        d, src = directives(c.source)
        if "default_exp" in d: module = f"{lib}.{d['default_exp']}"
        if "hide" in d: continue
        if "export" in d and module:
            cards = export_cards(src, module)
            parts += cards
            if src: parts.append(f'??? note "Source"\n\n' + "\n".join("    " + l for l in ["```python", *src.splitlines(), "```"]))
            continue
        if src and d.get("echo") != "false": parts.append(f"```python\n{src}\n```")
        outs = [h for o in c.get("outputs", []) if (h := output_html(o, counts))]
        if outs: parts.append('<div class="dwb-outputs" markdown="0">\n' + "\n".join(outs) + "\n</div>")
    head = [f"# {title}", ""] + ([f'<p class="dwb-description">{html.escape(desc)}</p>', ""] if desc else [])
    if colab: head += [f'<p class="dwb-colab"><a href="{colab}">Open in Colab</a></p>', ""]
    return "\n".join(head) + "\n\n".join(parts) + "\n", title, desc, counts, module

CSS = """.dwb-description { font-size: 1.1em; color: var(--md-default-fg-color--light); margin-top: -0.5em; }
.dwb-colab a { display: inline-block; padding: 0.1em 0.7em; border: 1px solid #f9ab00; border-radius: 4px; color: #e8710a; font-weight: 600; }
.dwb-outputs { margin: 0 0 1.2em 0; border-left: 3px solid var(--md-default-fg-color--lightest); padding-left: 0.6em; overflow-x: auto; }
.dwb-out { font-size: 0.75em; margin: 0.3em 0; white-space: pre-wrap; }
.dwb-html table { font-size: 0.75em; }
.dwb-img { max-width: 100%; }
.dwb-widget-note { border: 1px dashed #999; padding: 6px; color: #555; font-size: 0.8em; }
.dwb-api { border-top: 1px solid var(--md-default-fg-color--lightest); padding-top: 0.4em; }
"""

def mkdocs_config(nav:list, s:dict)->dict:
    return {"site_name": s["lib_name"], "site_description": s["description"],  # no repo_url: Material would call GitHub's API
            "docs_dir": str(MD), "site_dir": str(HTML), "use_directory_urls": False, "strict": False,
            "theme": {"name": "material", "font": False, "features": ["navigation.sections", "toc.follow", "search.highlight", "content.code.copy"]},
            "plugins": ["search", "offline"], "nav": nav,
            "extra_javascript": ["plotly.min.js"], "extra_css": ["extra.css"],
            "markdown_extensions": ["tables", "attr_list", "md_in_html", "admonition", "pymdownx.details", "pymdownx.superfences",
                                    {"pymdownx.highlight": {"use_pygments": True}}, {"toc": {"permalink": True}}]}

def build(src:Path=SRC)->list:
    import yaml
    nbs = sorted(Path(src).glob("*.ipynb"), key=lambda p: (p.stem != "index", p.stem))
    if not nbs: sys.exit(f"No executed notebooks in {src}: run the tests first (make test, or make docs).")
    s = settings()
    shutil.rmtree(MD, ignore_errors=True); MD.mkdir(parents=True)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", MD / "plotly.min.js")
    (MD / "extra.css").write_text(CSS)
    pages, nav, modules = [], [], []
    for p in nbs:
        nb = nbformat.read(p, as_version=4)
        text, title, desc, counts, module = page(nb, p.stem, s["lib_name"])
        name = "index" if p.stem == "index" else p.stem
        (MD / f"{name}.md").write_text(text)
        nav.append({("Home" if name == "index" else title): f"{name}.md"})
        if module: modules.append((module, p.stem))
        pages.append({"page": f"{name}.html", "title": title, "description": desc, **counts})
    (MD / "reference.md").write_text(reference_page(modules))
    nav = [nav[0], {"Lessons": nav[1:]}, {"API reference": "reference.md"}]
    pages.append({"page": "reference.html", "title": "API reference", "description": "", "figures": 0, "widgets": 0})
    cfg = SITE / "mkdocs.yml"
    cfg.write_text(yaml.safe_dump(mkdocs_config(nav, s), sort_keys=False, allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--clean", "-q", "-f", str(cfg)], capture_output=True, text=True,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    if r.returncode: sys.exit(f"mkdocs build failed:\n{r.stdout}\n{r.stderr}")
    if r.stderr.strip(): print(r.stderr.strip())
    shutil.copy(ROOT / ".ci" / "vendor" / "iframe-worker-shim.js", HTML / "assets" / "javascripts" / SHIM_LOCAL)
    for f in HTML.glob("*.html"):  # the offline plugin's search worker shim: the local copy, not the CDN's
        f.write_text(f.read_text().replace(SHIM_CDN, f"assets/javascripts/{SHIM_LOCAL}"))
    (HTML / "pages.json").write_text(json.dumps(pages, indent=1))
    return pages

if __name__ == "__main__":
    for x in build(): print(f'{x["page"]}: {x["title"]} ({x["figures"]} figures, {x["widgets"]} widget panels)')
    print(f"site: {HTML / 'index.html'}")
