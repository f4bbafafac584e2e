"""The notebooks' widgets tested as a reader uses them: a real JupyterLab, a real browser (Debian's chromium,
driven by Playwright for Python).

    .venv/bin/python tests/browser/run.py                 # every panel, then every page of _site/html/ (if built)
    .venv/bin/python tests/browser/run.py --only 08       # one notebook (a substring of its name; 'pages' = the site)
    .venv/bin/python tests/browser/run.py --break depth   # the 'depth' callback raises on purpose: the suite must fail
    .venv/bin/python tests/browser/run.py --site DIR      # the pages of another built site (default _site/html/)
    env: DWB_BROWSER_BREAK (= --break), DWB_BROWSER_TIMEOUT (seconds for the whole suite, default 1200),
         DWB_CHROMIUM (the browser binary; default /usr/bin/chromium)

For each notebook with a panel it writes, into a temporary folder, a copy holding only the panel cell and the
statements that cell needs (found by the names each statement binds and reads, so the expensive tests are left
out), starts JupyterLab from this .venv on 127.0.0.1 (a free port, a random token, no browser), runs that copy in
the browser and moves each control as a person does (arrow keys on a focused slider, an option picked in a
dropdown, a click on a toggle button). After each move it waits for the kernel to go idle and checks that the
figure the control drives changed (plotly's data, or the picture), that no output holds a traceback or "Error
displaying widget", that the kernel logged no exception, and that the browser console shows no error. Then every
page of the documentation site (_site/html/*.html, built by .ci/site.py with MkDocs) is opened offline from the file
system: no console error and no request to the network, each plotly figure drew an SVG with data (as many as the build
made), the title and description are the notebook's, an Open in Colab link
leads to the page's notebook, no code block shows a `#|` directive and no front matter or
`In [ ]:` prompt shows, the sidebar lists every page, and every local link (fragments included) resolves. Then the
site's search is typed into as a person types and must list the lesson that defines the function searched for. On a failure, screenshots of the panel before and after the move go to
tests/browser/screenshots/. One test = one control or one page; the last line is "N passed, N failed, N skipped".
The server, its kernels and the browser are always shut down.

Without chromium or playwright the suite is skipped (exit 0) with a message saying how to install them:
`apt-get update && apt-get install -y chromium` (as root) and `pip install playwright` (the dev extra); never
`playwright install` (it downloads a browser, which cannot work offline).
"""
import argparse, ast, json, os, re, secrets, shutil, signal, socket, subprocess, symtable, sys, tempfile, textwrap, time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NBS, SITE = ROOT / "nbs", ROOT / "_site" / "html"
SHOTS = Path(__file__).resolve().parent / "screenshots"
BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # headless and an empty --user-data-dir: Playwright's own

@dataclass
class Control:
    name: str            # what the report calls it
    labels: tuple        # the widget's description (first one found is used)
    kind: str            # 'slider', 'dropdown' or 'toggle'
    expect: str          # what must change: 'plotly' (a figure's data), 'img' (a picture) or 'any'
    key: str = "ArrowRight"  # slider: the key pressed (the other arrow when the slider is at its end)

@dataclass
class Panel:
    nb: str              # notebook in nbs/
    anchors: tuple       # names of the calls that build the panel: the first cell calling one (outside a def) is the panel cell
    controls: list

PANELS = [
    Panel("03_entropy.ipynb", ("entropy_panel", "interact", "interactive"), [
        Control("entropy sample", ("i", "sample", "conversation"), "slider", "plotly"),
        Control("entropy strategy", ("strategy",), "dropdown", "plotly")]),
    Panel("08_generate.ipynb", ("generation_panel",), [
        Control("image", ("image",), "slider", "img"),
        Control("depth", ("depth",), "slider", "plotly", "ArrowLeft"),
        Control("top-k", ("top-k", "top k"), "slider", "plotly"),
        Control("total tokens", ("total tokens",), "slider", "plotly", "ArrowLeft"),
        Control("step", ("step",), "slider", "plotly")]),
    Panel("07b_compress.ipynb", ("compression_panel",), [
        Control("keep ratio", ("keep ratio",), "slider", "img", "ArrowLeft"),
        Control("compression strategy", ("strategy",), "dropdown", "img")]),
]

# ---------------------------------------------------------------------------------------------------- results
@dataclass
class Results:
    rows: list = field(default_factory=list)
    def add(self, name, status, detail="", secs=None):
        self.rows.append((name, status, detail))
        t = f" ({secs:.1f} s)" if secs is not None else ""
        print(f"{status.upper():4} {name}{t}" + (f": {detail}" if detail else ""), flush=True)
    def count(self, status): return sum(r[1] == status for r in self.rows)

# ---------------------------------------------------------------------------------------------------- the interactive path
_FLAG = re.compile(r"^\s*#\|\s*(slow|gpu|eval:\s*false)\b", re.M)
_MAGIC = re.compile(r"^\s*[%!]")

def _scope_reads(t)->set:
    "Names a function/class/lambda body reads from the module (its implicit globals), nested scopes included."
    out = {s.get_name() for s in t.get_symbols() if s.is_global() and s.is_referenced()}
    for c in t.get_children(): out |= _scope_reads(c)
    return out

def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)): node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None

def _mutated(node, alias:dict)->set:
    "Roots a statement mutates in place: `x.attr = ...`, `x[k] = ...`, `del x[k]`, `x.method(...)` as a statement."
    targets = list(getattr(node, "targets", [])) + ([node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute): targets.append(node.value)
    out = set()
    for t in targets:
        if isinstance(t, (ast.Attribute, ast.Subscript, ast.Call)) and _root(t): out |= alias.get(_root(t), {_root(t)})
    return out

def _nested_mutations(node, alias:dict)->set:
    "Mutations by the statements inside a compound statement (not inside defs); `for v in (a, b): v.pop()` mutates a and b."
    out = set()
    for c in ast.iter_child_nodes(node):
        if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) or not isinstance(c, ast.stmt): continue
        al = alias
        if isinstance(c, ast.For) and isinstance(c.target, ast.Name) and isinstance(c.iter, (ast.Tuple, ast.List)):
            al = {**alias, c.target.id: {_root(e) for e in c.iter.elts if _root(e)}}
        out |= _mutated(c, al) | _nested_mutations(c, al)
    return out

def _statement(node, src:str, modules:set=frozenset())->dict:
    """What one top-level statement binds, reads and mutates. Mutations of an imported module's state count only at
    the top level (`torch.set_num_threads(2)`), not inside a block (`with warnings.catch_warnings(): warnings.simplefilter(...)`).
    A `try` whose only needed effect is its `finally` (a registry put back, a patch undone) yields that block alone."""
    lines = src.splitlines()
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    text = "\n".join(lines[start - 1:node.end_lineno])
    top = symtable.symtable(text, "<cell>", "exec")
    binds = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    reads = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    for c in top.get_children(): reads |= _scope_reads(c)
    reads |= {n.target.id for n in ast.walk(node) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}  # x += 1 reads x
    mut = _mutated(node, {}) | (_nested_mutations(ast.Module(body=[node], type_ignores=[]), {}) - set(modules))
    star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
    plain = isinstance(node, (ast.Assign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
    out = dict(text=text, binds=binds, reads=reads, mut=mut, star=star, plain=plain, final=None)
    if isinstance(node, ast.Try) and node.finalbody:
        body = ast.Module(body=node.body + [h for h in node.handlers] + node.orelse, type_ignores=[])
        fin = textwrap.dedent("\n".join(ast.get_source_segment(src, st, padded=True) for st in node.finalbody))
        if len(node.finalbody) > 1: fin = "if True:\n" + textwrap.indent(fin, "    ")
        out.update(final=_statement(ast.parse(fin).body[0], fin, modules), body_mut=_nested_mutations(body, {}) - set(modules))
    return out

def _calls(tree)->set:
    "Names called at module level (not inside a def or class)."
    out = set()
    def walk(n):
        for c in ast.iter_child_nodes(n):
            if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)): continue
            if isinstance(c, ast.Call):
                f = c.func
                out.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None)
            walk(c)
    walk(tree)
    return out

def interactive_path(nb_path:Path, anchors:tuple, break_control:str=None)->tuple:
    """A notebook holding the first cell that calls one of `anchors` and, before it, only the statements it needs
    (backward over what each statement binds and reads; `#| slow`/`#| gpu` cells left out). Returns (nb, panel cell index)."""
    import nbformat
    nb = nbformat.read(nb_path, as_version=4)
    cells, anchor = [], None
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or _FLAG.search(c.source): continue
        src = "\n".join("" if _MAGIC.match(l) else l for l in c.source.splitlines())
        try: tree = ast.parse(src)
        except SyntaxError as e: raise RuntimeError(f"{nb_path.name} cell {c.get('id')}: cannot parse ({e})")
        cells.append((c, src, tree))
        if _calls(tree) & set(anchors): anchor = len(cells) - 1; break
    if anchor is None: raise RuntimeError(f"{nb_path.name}: no cell calls any of {anchors} (the panel moved or was renamed?)")
    modules = {(a.asname or a.name).split(".")[0] for _, _, t in cells for n in t.body if isinstance(n, ast.Import) for a in n.names}
    c, src, tree = cells[anchor]
    needed = set().union(*[_statement(n, src)["reads"] for n in tree.body]) if tree.body else set()
    kept = {anchor: [c.source]}
    for j in range(anchor - 1, -1, -1):
        c, src, tree = cells[j]
        mine = []
        for n in reversed(tree.body):
            s = _statement(n, src, modules)
            if s["final"] and not (s["binds"] & needed or s["body_mut"] & needed) and s["final"]["mut"] & needed:
                s = s["final"]  # keep the clean-up only
            if not (s["star"] or s["binds"] & needed or s["mut"] & needed): continue
            if s["plain"]: needed -= s["binds"]
            needed |= s["reads"] | s["mut"]
            mine.insert(0, s["text"])
        if mine: kept[j] = ["\n".join(mine)]
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    for j in sorted(kept):
        cell = nbformat.v4.new_code_cell(kept[j][0]); cell.metadata = {"dwb_source_cell": cells[j][0].get("id")}
        out.cells.append(cell)
    panel_index = len(out.cells) - 1
    if break_control:  # the labels of the control to break
        out.cells.append(nbformat.v4.new_code_cell(BREAK_CELL % repr(tuple(break_control))))
    return out, panel_index

BREAK_CELL = '''# added by tests/browser/run.py --break: the control's callbacks raise before they run
from ipywidgets.widgets.widget import _instances as _dwb_widgets
def _dwb_boom(change): raise RuntimeError("deliberately broken callback (tests/browser/run.py --break)")
_dwb_n = 0
for _w in list(_dwb_widgets.values()):
    if getattr(_w, "description", None) in %s:
        _w._trait_notifiers.setdefault("value", {}).setdefault("change", []).insert(0, _dwb_boom); _dwb_n += 1
assert _dwb_n, "no widget to break"'''

# ---------------------------------------------------------------------------------------------------- server
def free_port()->int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

class Lab:
    "JupyterLab from this .venv in its own process group, with its own config/data/runtime folders under `work`."
    def __init__(self, work:Path):
        self.work, self.port, self.token = work, free_port(), secrets.token_hex(24)
        self.log_path = work / "jupyter.log"
        home = work / "home"; home.mkdir()
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "IPYTHONDIR": str(home / "ipython"), "IN_TEST": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
               "PYTHONWARNINGS": "ignore"}
        cmd = [str(BIN / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={work / 'nbs'}",
               "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={home / 'workspaces'}",
               f"--LabApp.user_settings_dir={home / 'settings'}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
        if os.geteuid() == 0: cmd.append("--allow-root")
        for ext, name, val in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                               ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False})):
            f = home / "settings" / "@jupyterlab" / ext / f"{name}.jupyterlab-settings"
            f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(val))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=work / "nbs", env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def api(self, path, method="GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r: return json.loads(r.read() or b"null")

    def wait(self, timeout=180):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None: raise RuntimeError(f"jupyter-lab exited ({self.proc.returncode}):\n{self.log_text()[-2000:]}")
            try: self.api("/api/status"); return time.time() - t0
            except Exception: time.sleep(0.5)
        raise RuntimeError(f"jupyter-lab did not answer within {timeout} s:\n{self.log_text()[-2000:]}")

    def log_text(self, start=0)->str:
        if not self.log.closed: self.log.flush()
        with open(self.log_path, "rb") as f: f.seek(start); return f.read().decode(errors="replace")
    def log_size(self)->int:
        if not self.log.closed: self.log.flush()
        return self.log_path.stat().st_size

    def shutdown_kernels(self):
        try:
            for x in self.api("/api/sessions"): self.api(f"/api/sessions/{x['id']}", "DELETE")
            for k in self.api("/api/kernels"): self.api(f"/api/kernels/{k['id']}", "DELETE")
        except Exception as e: print(f"     (shutting the kernels down: {e})")

    def _descendants(self)->list:
        kids = {}
        for p in Path("/proc").iterdir():
            if not p.name.isdigit(): continue
            try: ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except Exception: continue
            kids.setdefault(ppid, []).append(int(p.name))
        out, todo = [], [self.proc.pid]
        while todo:
            for k in kids.get(todo.pop(), []): out.append(k); todo.append(k)
        return out

    def stop(self):
        "Kernels shut down through the API, then the server's process group; anything left of it is killed."
        if self.proc.poll() is None: self.shutdown_kernels()
        left = self._descendants()  # kernels run in sessions of their own: not in the server's group
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.proc.poll() is None:
                try: os.killpg(self.proc.pid, sig)
                except ProcessLookupError: pass
                try: self.proc.wait(wait)
                except subprocess.TimeoutExpired: pass
        for pid in left:
            try: os.kill(pid, signal.SIGKILL)
            except ProcessLookupError: pass
        self.log.close()

# ---------------------------------------------------------------------------------------------------- in the browser
JS_TRACK = r"""() => {
  const w = window.jupyterapp.shell.currentWidget, sc = w.sessionContext;
  window.__dwb = {busy: 0, status: sc.session.kernel.status, t: performance.now()};
  sc.statusChanged.connect((_, s) => { window.__dwb.status = s; window.__dwb.t = performance.now(); if (s === 'busy') window.__dwb.busy++; });
  // what a widget callback raises goes to the kernel's stderr (JupyterLab's log console), in no cell: catch it here
  window.__dwb.errors = [];
  sc.iopubMessage.connect((_, m) => {
    if (!m.parent_header || m.parent_header.msg_type !== 'comm_msg') return;
    const t = m.header.msg_type, c = m.content;
    if (t === 'error') window.__dwb.errors.push(c.ename + ': ' + c.evalue);
    else if (t === 'stream' && c.name === 'stderr' && /Traceback \(most recent call last\)|Exception in comm/.test(c.text))
      window.__dwb.errors.push(c.text.trim().split('\n').slice(-3).join(' / ').slice(0, 800));
  });
  return w.id;
}"""
JS_READY = """() => { const a = window.jupyterapp, w = a && a.shell.currentWidget;
  return !!(w && w.content && w.context && w.context.isReady && w.sessionContext && w.sessionContext.session &&
            w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'); }"""
JS_RUN_ALL = """async (timeout) => {
  const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
  const ok = await Promise.race([run, new Promise(r => setTimeout(() => r('timeout'), timeout))]);
  const w = window.jupyterapp.shell.currentWidget, cells = [];
  for (const c of w.content.widgets) if (c.model.type === 'code')
    cells.push({n: c.model.executionCount, errors: c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                .map(o => o.ename + ': ' + o.evalue)});
  return {ok, cells};
}"""
JS_QUIET = "(ms) => window.__dwb.status === 'idle' && performance.now() - window.__dwb.t > ms"
JS_STATE = """(cell) => {
  const h = s => { let x = 0; for (let i = 0; i < s.length; i++) x = (x * 31 + s.charCodeAt(i)) | 0; return s.length + ':' + (x >>> 0); };
  const plots = [...cell.querySelectorAll('.js-plotly-plot')];
  return {plotly: plots.map(d => h(JSON.stringify(d.data || null))),
          svg: plots.map(d => (d.data || []).length > 0 && DRAWN(d) > 0),
          img: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(i => h(i.src)),
          html: [...cell.querySelectorAll('.jp-RenderedHTMLCommon')].map(e => h(e.innerText)),
          text: cell.querySelector('.jp-Cell-outputArea') ? cell.querySelector('.jp-Cell-outputArea').innerText : ''};
}"""
# marks a plotly figure drew: trace paths with a shape (lines, markers, bars), heatmap/image pixels, pie slices
JS_DRAWN = """(d => [...d.querySelectorAll('svg.main-svg .trace path, svg.main-svg .hm image, svg.main-svg .imagelayer image, svg.main-svg .slice path')]
  .filter(e => e.tagName === 'image' || (e.getAttribute('d') || '').length > 8).length)"""
JS_STATE = JS_STATE.replace("DRAWN", JS_DRAWN)
JS_SITE_FIGS = """() => [...document.querySelectorAll('.dwb-plotly')].map(d => ({id: d.id,
  svg: !!d.querySelector('svg.main-svg'), traces: (d.data || []).length, drawn: DRAWN(d)}))""".replace("DRAWN", JS_DRAWN)
BAD_OUTPUT = re.compile(r"Traceback \(most recent call last\)|Error displaying widget|Error rendering output|Failed to display", re.I)
BAD_LOG = re.compile(r"Traceback \(most recent call last\)|Exception in comm_msg|Error in observer", re.I)

def problems(state:dict)->list:
    m = BAD_OUTPUT.search(state["text"])
    if not m: return []
    i = m.start(); return [f"output holds {m.group(0)!r}: ...{state['text'][max(0, i - 100):i + 400].strip()}"]

class Notebook:
    "One notebook open in a page; console errors and the kernel's log read per step."
    def __init__(self, page, lab:Lab):
        self.page, self.lab, self.console = page, lab, []
        page.on("console", lambda m: m.type == "error" and self.console.append(f"console: {m.text}"[:600]))
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"[:600]))

    def open(self, name:str, timeout:float):
        ws = "dwb-" + re.sub(r"\W+", "-", name) + "-" + secrets.token_hex(4)  # a fresh workspace: no other notebook reopened
        self.page.goto(f"{self.lab.url}/lab/workspaces/{ws}/tree/{name}?token={self.lab.token}")
        self.page.wait_for_function(JS_READY, timeout=timeout * 1000, polling=250)
        self.panel_id = self.page.evaluate(JS_TRACK)

    def cell(self, i:int):
        return self.page.locator(f"[id={json.dumps(self.panel_id)}] .jp-Notebook .jp-Cell").nth(i)

    def quiet(self, timeout:float, ms:int=1500):
        self.page.wait_for_function(JS_QUIET, arg=ms, timeout=timeout * 1000, polling=200)

    def state(self, i:int)->dict: return self.cell(i).evaluate(JS_STATE)

    def find(self, panel_cell:int, c:Control):
        cls = {"slider": ".widget-slider", "dropdown": ".widget-dropdown", "toggle": ".widget-toggle-buttons"}[c.kind]
        out = self.cell(panel_cell).locator(".jp-Cell-outputArea")
        for lab in c.labels:
            loc = out.locator(f"{cls}:has(> label.widget-label:text-is({json.dumps(lab)}))")
            if loc.count(): return loc.first
        return None

    def move(self, w, c:Control)->str:
        "Moves the control as a person does; returns what was done ('ArrowRight 6 -> 7')."
        if c.kind == "slider":
            h, r = w.locator(".noUi-handle").first, w.locator(".widget-readout").first
            before = r.inner_text().strip()
            now, top, low = (float(h.get_attribute(a) or "nan") for a in ("aria-valuenow", "aria-valuemax", "aria-valuemin"))
            key = c.key
            if (key == "ArrowRight" and now >= top) or (key == "ArrowLeft" and now <= low): key = {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight"}[key]
            if top <= low: raise AssertionError(f"slider {c.name!r} has a single value ({before}): nothing to move")
            h.focus(); self.page.keyboard.press(key)
            self.page.wait_for_function("([e, b]) => e.innerText.trim() !== b", arg=[r.element_handle(), before], timeout=5000)
            return f"{key} {before} -> {r.inner_text().strip()}"
        if c.kind == "dropdown":
            sel = w.locator("select")
            opts = sel.locator("option").all_inner_texts()
            cur = sel.evaluate("s => s.options[s.selectedIndex].text")
            if len(opts) < 2: raise AssertionError(f"dropdown {c.name!r} has one option only")
            nxt = opts[(opts.index(cur) + 1) % len(opts)]
            sel.select_option(label=nxt)
            return f"picked {nxt!r} (was {cur!r})"
        btns = w.locator("button")
        k = next(i for i in range(btns.count()) if "mod-active" not in (btns.nth(i).get_attribute("class") or ""))
        txt = btns.nth(k).inner_text(); btns.nth(k).click()
        return f"clicked {txt!r}"

def changed(a:dict, b:dict, expect:str)->bool:
    if expect == "plotly": return a["plotly"] != b["plotly"]
    if expect == "img": return a["img"] != b["img"]
    return any(a[k] != b[k] for k in ("plotly", "img", "html"))

def shot(page_or_loc, name:str):
    SHOTS.mkdir(exist_ok=True)
    p = SHOTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    try: page_or_loc.screenshot(path=str(p)); return p
    except Exception as e: print(f"     (screenshot {p.name} failed: {e})"); return None

def test_panel(ctx, lab:Lab, work:Path, panel:Panel, res:Results, break_control:str, deadline:float):
    stem = panel.nb.removesuffix(".ipynb")
    names = [f"{stem}: {c.name}" for c in panel.controls]
    t0 = time.time()
    try:
        import nbformat
        brk = [c.labels for c in panel.controls if break_control and break_control in (c.name,) + c.labels]
        nb, pc = interactive_path(NBS / panel.nb, panel.anchors, brk[0] if brk else None)
        nbformat.write(nb, work / "nbs" / panel.nb)
    except Exception as e:
        for n in names: res.add(n, "fail", f"could not build the interactive path of {panel.nb}: {e}")
        return
    page = ctx.new_page(); nbk = Notebook(page, lab)
    try:
        nbk.open(panel.nb, timeout=min(120, deadline - time.time()))
        log0 = lab.log_size()
        run = page.evaluate(JS_RUN_ALL, max(1, deadline - time.time() - 60) * 1000)
        errs = [f"cell {i} ({nb.cells[i].metadata['dwb_source_cell']}): {e}" for i, c in enumerate(run["cells"]) for e in c["errors"]]
        if run["ok"] == "timeout": errs.append("running the interactive path timed out")
        if errs or run["ok"] is not True: raise AssertionError("running the panel's cells failed: " + "; ".join(errs or ["(run-all said no)"]))
        nbk.quiet(60)
        page.wait_for_function("(e) => e.querySelector('.widget-slider, .widget-dropdown, .widget-toggle-buttons')",
                               arg=nbk.cell(pc).element_handle(), timeout=30000)
        nbk.quiet(60)
        st = nbk.state(pc)
        bad = problems(st) + nbk.console + [f"kernel: {e}" for e in page.evaluate("window.__dwb.errors.splice(0)")]
        bad += [f"kernel log: {m}" for m in BAD_LOG.findall(lab.log_text(log0))]
        if bad: raise AssertionError("the panel did not render cleanly: " + " | ".join(bad))
        if not all(st["svg"]) or not (st["plotly"] or st["img"]): raise AssertionError(f"the panel shows no drawn figure: {st}")
        print(f"     {panel.nb}: {len(nb.cells)} cells (panel cell {pc}) ran and rendered in {time.time() - t0:.0f} s", flush=True)
    except Exception as e:
        p = shot(page, f"{stem}-panel")
        for n in names: res.add(n, "fail", f"{str(e)[:1500]}" + (f" [screenshot {p}]" if p else ""))
        _close(page, lab); return
    for c in panel.controls:
        name, t1 = f"{stem}: {c.name}", time.time()
        if time.time() > deadline: res.add(name, "fail", "the suite ran out of time before this control"); continue
        cell = nbk.cell(pc)
        before_png = None
        try:
            w = nbk.find(pc, c)
            if w is None: raise AssertionError(f"no {c.kind} labelled {' or '.join(map(repr, c.labels))} in the panel")
            before, before_png = nbk.state(pc), cell.screenshot()
            nbk.console.clear(); log0, busy0 = lab.log_size(), page.evaluate("window.__dwb.errors.splice(0), window.__dwb.busy")
            did = nbk.move(w, c)
            try: page.wait_for_function("n => window.__dwb.busy > n", arg=busy0, timeout=15000, polling=100)
            except Exception: raise AssertionError(f"{did}, but the kernel never ran (no change reached it)")
            nbk.quiet(min(180, max(5, deadline - time.time())))
            after = nbk.state(pc)
            t_end = time.time() + 20
            while not changed(before, after, c.expect) and time.time() < t_end:
                time.sleep(0.5); after = nbk.state(pc)
            bad = problems(after) + list(nbk.console) + [f"kernel: {e}" for e in page.evaluate("window.__dwb.errors.splice(0)")]
            bad += [f"kernel log: {l.strip()}" for l in lab.log_text(log0).splitlines()
                                                         if BAD_LOG.search(l) or re.search(r"^\w*(Error|Exception)\b", l.strip())]
            if not changed(before, after, c.expect):
                bad.insert(0, f"{did}, kernel idle again, but the {'figure' if c.expect == 'plotly' else 'picture' if c.expect == 'img' else 'panel'} did not change")
            if not all(after["svg"]): bad.append("a plotly figure drew no marks (an SVG without data)")
            if bad: raise AssertionError(" | ".join(bad))
            res.add(name, "pass", f"{did}; {'figure' if c.expect == 'plotly' else 'picture'} changed", time.time() - t1)
        except Exception as e:
            saved = []
            if before_png:
                SHOTS.mkdir(exist_ok=True); p = SHOTS / (re.sub(r"[^\w.-]+", "_", name) + "-before.png"); p.write_bytes(before_png); saved.append(str(p))
            p = shot(cell, name + "-after")
            if p: saved.append(str(p))
            res.add(name, "fail", str(e)[:2000] + (f" [screenshots: {', '.join(saved)}]" if saved else ""), time.time() - t1)
    _close(page, lab)

def _close(page, lab:Lab):
    lab.shutdown_kernels()
    try: page.close()
    except Exception: pass

JS_PAGE = """() => {
  const main = document.querySelector('.md-content') || document.body;
  const local = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
    .filter(h => h && !/^(https?:|mailto:|data:|javascript:)/.test(h));
  const h1 = main.querySelector('h1');
  return {h1: h1 ? [...h1.childNodes].filter(n => !(n.classList && n.classList.contains('headerlink'))).map(n => n.textContent).join('') : '',
          description: (main.querySelector('.dwb-description') || {}).innerText || '',
          colab: (main.querySelector('.dwb-colab a[href]') || {href: ''}).href,
          nav: [...document.querySelectorAll('.md-sidebar--primary a.md-nav__link[href]')].map(a => a.getAttribute('href')),
          local, ids: [...document.querySelectorAll('[id]')].map(e => e.id),
          directives: [...main.querySelectorAll('pre')].map(p => p.innerText).filter(t => /^\\s*#\\|/m.test(t)).map(t => t.slice(0, 120)),
          text: main.innerText};
}"""
FRONT_MATTER = re.compile(r"^---\s*$|^\s*(output-file|description|title):\s|\bIn \[\s*\d*\]:", re.M)

def check_links(p:Path, info:dict, site:Path)->list:
    "Every local link of the page resolves: its file exists under the site, and a fragment names an element of its page."
    bad, ids = [], {}
    for h in dict.fromkeys(info["local"]):
        path, _, frag = h.partition("#")
        target = (p.parent / path).resolve() if path else p
        if path and target.is_dir(): target = target / "index.html"
        if not target.is_file() or site.resolve() not in (target, *target.parents): bad.append(f"link {h!r} leads nowhere"); continue
        if frag and target == p and frag not in info["ids"]: bad.append(f"link {h!r}: no element with that id on the page")
        elif frag and target != p:
            if target not in ids: ids[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text(errors="replace")))
            if frag not in ids[target]: bad.append(f"link {h!r}: no element with that id in {target.name}")
    return bad

def test_pages(ctx, res:Results, deadline:float, site:Path=SITE):
    pages = site_pages(site)
    if not pages:
        res.add("documentation pages", "skip", f"no {site}/*.html: build the site first (make docs, or .ci/site.py "
                "after .ci/run_nb.py kept executed notebooks in _site/executed/)"); return
    meta = {x["page"]: x for x in json.loads((site / "pages.json").read_text())} if (site / "pages.json").exists() else {}
    for p in pages:
        name, t1 = f"page {p.name}", time.time()
        if time.time() > deadline: res.add(name, "fail", "the suite ran out of time before this page"); continue
        page = ctx.new_page(); errs, outside = [], []
        page.on("console", lambda m: m.type == "error" and errs.append(f"console: {m.text}"[:600]))
        page.on("pageerror", lambda e: errs.append(f"page error: {e}"[:600]))
        page.on("request", lambda r: r.url.startswith(("http:", "https:")) and outside.append(r.url))
        try:
            page.goto(p.as_uri(), wait_until="load", timeout=60000)
            n = page.evaluate("() => document.querySelectorAll('.dwb-plotly').length")
            figs = []
            if n:
                try: page.wait_for_function(JS_SITE_FIGS.replace("() =>", "() => (") + ").every(f => f.svg && f.traces && f.drawn)",
                                            timeout=30000, polling=250)
                except Exception: pass
                figs = page.evaluate(JS_SITE_FIGS)
            info = page.evaluate(JS_PAGE)
            bad = errs + [f"fetches {u} (pages must work offline)" for u in outside[:3]]
            bad += [f"figure {f['id']} not drawn ({f})" for f in figs if not (f["svg"] and f["traces"] and f["drawn"])]
            m = meta.get(p.name)
            if m is not None and m.get("figures", 0) != len(figs): bad.append(f"{m['figures']} figures built, {len(figs)} on the page")
            if m is not None and info["h1"].strip() != m["title"]: bad.append(f"title {info['h1']!r}, expected {m['title']!r}")
            if m is not None and m.get("description") and info["description"].strip() != m["description"]:
                bad.append(f"description {info['description'][:80]!r} missing or not {m['description'][:80]!r}")
            if m is not None and p.name != "reference.html" and not info["colab"].endswith(f"/nbs/{p.stem}.ipynb"):
                bad.append(f"no Open in Colab link to nbs/{p.stem}.ipynb (found {info['colab']!r})")
            bad += [f"directive shown in a code block: {t!r}" for t in info["directives"]]
            bad += [f"front matter or a prompt shows: {x.group(0)!r}" for x in list(FRONT_MATTER.finditer(info["text"]))[:3]]
            navs = {(p.parent / h.partition("#")[0]).resolve().name for h in info["nav"] if h.partition("#")[0]} | ({p.name} if info["nav"] else set())
            missing = sorted({q.name for q in pages} - navs)
            if missing: bad.append(f"the sidebar lacks {missing[:5]}")
            bad += check_links(p, info, site)[:5]
            if bad:
                s = shot(page, f"{p.stem}-page"); raise AssertionError(" | ".join(bad) + (f" [screenshot {s}]" if s else ""))
            res.add(name, "pass", f"{len(figs)} plotly figures drawn ({sum(f['drawn'] for f in figs)} marks), "
                    f"{len(set(info['local']))} local links resolve", time.time() - t1)
        except Exception as e: res.add(name, "fail", str(e)[:1500], time.time() - t1)
        finally: page.close()
    test_search(ctx, res, site)

SEARCH = ("grow_tree", "07_tree.html")  # a query, and the page its results must list (the lesson that defines grow_tree)

def test_search(ctx, res:Results, site:Path, query:str=SEARCH[0], expect:str=SEARCH[1]):
    "The site's search, typed as a person types it into the search box of the home page, lists the expected page."
    name, t1 = f"site search {query!r}", time.time()
    page = ctx.new_page(); errs = []
    page.on("console", lambda m: m.type == "error" and errs.append(f"console: {m.text}"[:600]))
    page.on("pageerror", lambda e: errs.append(f"page error: {e}"[:600]))
    try:
        page.goto((site / "index.html").as_uri(), wait_until="load", timeout=60000)
        box = page.locator("input.md-search__input"); box.click(); box.press_sequentially(query, delay=30)
        page.wait_for_function("() => document.querySelectorAll('.md-search-result__item').length > 0", timeout=30000, polling=250)
        hrefs = page.evaluate("() => [...document.querySelectorAll('.md-search-result__item a[href]')].map(a => a.getAttribute('href'))")
        hits = [h for h in hrefs if re.split(r"[?#]", h)[0].endswith("/" + expect)]
        if errs or not hits:
            s = shot(page, "site-search")
            raise AssertionError(" | ".join(errs) + (f" no result on {expect} among {hrefs[:6]}" if not hits else "") + (f" [screenshot {s}]" if s else ""))
        res.add(name, "pass", f"{len(hrefs)} results, {len(hits)} on {expect}", time.time() - t1)
    except Exception as e: res.add(name, "fail", str(e)[:1500], time.time() - t1)
    finally: page.close()

def site_pages(site:Path)->list:
    "The site's pages (its 404 page aside)."
    return [p for p in sorted(site.glob("*.html")) if p.name != "404.html"]

# ---------------------------------------------------------------------------------------------------- main
def find_chromium():
    "DWB_CHROMIUM when set (and only it), else Debian's /usr/bin/chromium or a chromium on PATH."
    if os.environ.get("DWB_CHROMIUM"): return os.environ["DWB_CHROMIUM"] if Path(os.environ["DWB_CHROMIUM"]).exists() else None
    for c in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if c and Path(c).exists(): return c
    return None

def planned(only, site:Path=SITE)->list:
    names = [f"{p.nb.removesuffix('.ipynb')}: {c.name}" for p in PANELS if selected(p.nb, only) for c in p.controls]
    if selected("pages", only): names += ([f"page {p.name}" for p in site_pages(site)] + [f"site search {SEARCH[0]!r}"]) if site_pages(site) else ["documentation pages"]
    return names

def selected(name, only)->bool: return not only or any(o in name for o in only)

def main(argv=None)->int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", default=[], help="run only notebooks (or 'pages') whose name holds this; repeatable")
    ap.add_argument("--break", dest="brk", default=os.environ.get("DWB_BROWSER_BREAK"),
                    help="make this control's callback raise on purpose (env DWB_BROWSER_BREAK): the suite must fail naming it")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("DWB_BROWSER_TIMEOUT", 1200)),
                    help="seconds for the whole suite (default 1200); what is left when it runs out fails")
    ap.add_argument("--site", type=Path, default=SITE, help="folder of the documentation pages (default _site/html)")
    args = ap.parse_args(argv)
    res, t0 = Results(), time.time()
    deadline = t0 + args.timeout
    chromium = find_chromium()
    try: import playwright.sync_api  # noqa: F401
    except ImportError: playwright_missing = True
    else: playwright_missing = False
    if chromium is None or playwright_missing:
        missing = ([] if chromium else ["Debian's chromium (as root: apt-get update && apt-get install -y chromium; or set DWB_CHROMIUM to a Chromium binary)"]) + \
                  (["playwright for Python (.venv/bin/pip install -e '.[dev]', or .venv/bin/pip install playwright; do NOT run 'playwright install')"] if playwright_missing else [])
        print("SKIP browser tests: missing " + "; ".join(missing))
        n = len(planned(args.only, args.site))
        print(f"0 passed, 0 failed, {n} skipped"); return 0
    from playwright.sync_api import sync_playwright
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt("SIGTERM")))
    work = Path(tempfile.mkdtemp(prefix="dwb-browser-")); (work / "nbs").mkdir()
    if SHOTS.exists(): shutil.rmtree(SHOTS)
    lab = None
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
            try:
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.set_default_timeout(60000)
                panels = [p for p in PANELS if selected(p.nb, args.only)]
                if panels:
                    lab = Lab(work)
                    print(f"     jupyter-lab on 127.0.0.1:{lab.port} up in {lab.wait():.0f} s; chromium {browser.version}", flush=True)
                    for p in panels: test_panel(ctx, lab, work, p, res, args.brk, deadline)
                if selected("pages", args.only): test_pages(ctx, res, deadline, args.site)
            finally:
                browser.close()
    except KeyboardInterrupt as e:
        res.add("suite", "fail", f"interrupted ({e})")
    except Exception as e:
        res.add("suite", "fail", f"{type(e).__name__}: {e}"[:2000])
    finally:
        if lab is not None:
            lab.stop()
            if res.count("fail"): print(f"     jupyter log (last lines):\n" + "\n".join(lab.log_text().splitlines()[-15:]))
        shutil.rmtree(work, ignore_errors=True)
    print(f"     browser suite: {time.time() - t0:.0f} s")
    print(f"{res.count('pass')} passed, {res.count('fail')} failed, {res.count('skip')} skipped")
    return 1 if res.count("fail") else 0

if __name__ == "__main__":
    sys.exit(main())
