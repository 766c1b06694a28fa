"""Build glassgrad's documentation site (``make docs``): a static, offline site in ``site/``.

    python docs/build_site.py [--out site] [--notebooks 01_values_and_graphs ...] [--jobs 2]

The site is made with mkdocs-material (the usual static-site tool of Python projects: plain
Markdown sources, a theme with search that works offline), mkdocs-jupyter (notebooks as
pages, with their outputs: pictures and the step-through pages' HTML and JavaScript) and
mkdocstrings (the API reference, read from the docstrings without importing anything). The
sources are assembled in a temporary directory first, so the repository's own files stay
where they are and nothing generated is committed:

- ``index.md``: the README, its links rewritten to the site's pages;
- ``course/*.ipynb``: the notebooks, each executed here (two at a time) in a scratch
  directory, so the pages show what the code printed and drew;
- ``ops.md``: the op table, read from ``autograd.ops`` (each op's name, symbol and local
  derivatives) plus the README's table of domains;
- ``benchmarks.md``: ``benchmarks/README.md``;
- ``api/*.md`` and everything else under ``docs/``: copied as they are;
- ``examples/neuron_steps.html``: a standalone step-through page (``trace.save_html``);
- ``try/``: "Try it in the browser" (`write_try_page`): glassgrad in Pyodide, its graphs drawn
  by Graphviz compiled to WebAssembly, both from npm (``package-lock.json``), linked from the
  navigation and from the top of each lesson. Without ``node_modules/`` the site is built
  without it (``--no-try-page`` says so on purpose);
- ``assets/mathjax/``: MathJax 2.7 from the ``jupyter-server-mathjax`` package, so the
  notebooks' math renders with no network (nbconvert would load it from a CDN).

The pages are made to read well: docstring examples render as code (``griffe_doctest.py``),
README pictures link to themselves at full size, the notebooks' widget outputs (a progress
bar stuck at its first frame) are dropped, ``javascripts/course.js`` folds the lesson-check
and solution cells and opens a picture much wider than the column at full size on a click,
and ``stylesheets/extra.css`` wraps long code lines and gives a page with a step-through the
width of the table of contents. The build is strict (``mkdocs.yml``): a warning fails it.

No page loads anything from another host: Google fonts are off, the ``offline`` plugin
makes search work from ``file://``, and notebook widget state (which would pull its
renderer from a CDN) is dropped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
NODE_MODULES = ROOT / "node_modules"
"""Where ``npm ci`` puts the packages of package-lock.json (``make docs`` runs it)."""
TRY_ASSETS = {
    "pyodide": ("pyodide", ["pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm",
                            "python_stdlib.zip", "pyodide-lock.json"]),
    "viz": ("@viz-js/viz/dist", ["viz-global.js"]),
}  # fmt: skip
"""The npm files the try page serves: its folder -> (the package folder, the files)."""
GENERATED_ONLY = {"build_site.py", "griffe_doctest.py", "__pycache__"}
"""Files under docs/ that are not part of the site itself (the build's own code)."""
WIDGET = "application/vnd.jupyter.widget-view+json"
"""The output type of a Jupyter widget, such as tqdm's progress bar in a notebook."""
MATHJAX_FONTS = """\
MathJax.Hub.Config({
  "HTML-CSS": {
    availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
    styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}
  }
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/glassgrad.js");
"""
"""MathJax's fonts: the package bundles STIX-Web's web fonts only (the default is TeX's); and
its blank test font from local() instead of about:blank, which browsers refuse with a console
error."""
NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, build the site, print what was built and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="site directory")
    parser.add_argument(
        "--notebooks",
        nargs="*",
        default=None,
        metavar="NAME",
        help="only these notebooks (names without .ipynb; default: all of notebooks/)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once")
    parser.add_argument(
        "--no-try-page",
        dest="try_page",
        action="store_false",
        help="leave out the try-it-in-the-browser page (it needs `npm ci` first)",
    )
    args = parser.parse_args(argv)
    if args.try_page and not (NODE_MODULES / "pyodide").is_dir():
        parser.error("the try page needs the npm packages: run `npm ci` (or pass --no-try-page)")
    start = time.perf_counter()
    pages = build(args.out.resolve(), args.notebooks, args.jobs, try_page=args.try_page)
    seconds = time.perf_counter() - start
    print(f"built {args.out} in {seconds:.0f} s: {pages} HTML pages")
    return 0


def build(
    out: Path, notebook_names: Sequence[str] | None = None, jobs: int = 2, *, try_page: bool = True
) -> int:
    """Build the site into ``out`` (replaced as a whole); return the number of HTML pages.

    ``try_page`` adds "Try it in the browser" (it needs ``npm ci`` to have run).
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    names = notebook_names or sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="glassgrad-docs-") as scratch:
        docs = Path(scratch) / "docs"
        _copy_sources(docs)
        if try_page:
            write_try_page(docs / "try")
        else:
            shutil.rmtree(docs / "try")
        (docs / "index.md").write_text(_home_page(), encoding="utf-8")
        (docs / "benchmarks.md").write_text(_benchmarks_page(), encoding="utf-8")
        (docs / "ops.md").write_text(_ops_page(), encoding="utf-8")
        _step_through_example(docs / "examples" / "neuron_steps.html")
        _copy_mathjax(docs / "assets" / "mathjax")
        course = _execute_notebooks(names, docs / "course", Path(scratch) / "run", jobs)
        if try_page:
            for notebook in course:
                _link_try_page(notebook)
        nav = [
            {"Home": "index.md"},
            {"Course": [{_title(path): f"course/{path.name}"} for path in course]},
            {"The ops": "ops.md"},
            {"API reference": _api_nav(docs)},
            {"Benchmarks": "benchmarks.md"},
            {"A step-through page": "examples/index.md"},
            *([{"Try it in the browser": "try/index.html"}] if try_page else []),
        ]
        config = load_config(
            str(ROOT / "mkdocs.yml"),
            docs_dir=str(docs),
            site_dir=str(out),
            nav=nav,
        )
        config.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(config)
        finally:
            config.plugins.on_shutdown()
    return sum(1 for _ in out.rglob("*.html"))


def _copy_sources(docs: Path) -> None:
    """Everything under docs/ except the build script itself."""
    shutil.copytree(SOURCES, docs, ignore=lambda _dir, names: GENERATED_ONLY & set(names))


def _rewrite_links(markdown: str, base: str) -> str:
    """Links of a Markdown file from ``base`` (a repository folder) made to work in the site.

    Pictures under docs/ are beside the page; benchmarks/README.md is the Benchmarks page;
    a notebook is its course page; any other file of the repository becomes plain code text
    (the site has no copy of it).
    """

    def replace(match: re.Match[str]) -> str:
        bang, text, target = match.group(1), match.group(2), match.group(3)
        if re.match(r"[a-z]+:|#", target):
            return match.group(0)
        path = (Path(base) / target.split("#")[0]).as_posix()
        path = re.sub(r"^(\./)+", "", path)
        path = str(Path(path)).replace("\\", "/")
        if path.startswith("docs/") and bang:  # a picture, and a link to it at full size
            picture = path.removeprefix("docs/")
            return f"[![{text}]({picture})]({picture}){{: .gg-full-size }}"
        if path.startswith("docs/"):
            return f"[{text}]({path.removeprefix('docs/')})"
        if path == "benchmarks/README.md":
            return f"[{text}](benchmarks.md)"
        if path.startswith("notebooks/") and path.endswith(".ipynb"):
            return f"[{text}](course/{path.removeprefix('notebooks/')})"
        if path == "README.md":
            return f"[{text}](index.md)"
        return text if text.startswith("`") else f"`{text}`"

    return re.sub(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)", replace, markdown)


def _home_page() -> str:
    """The README as the home page."""
    return _rewrite_links((ROOT / "README.md").read_text(encoding="utf-8"), ".")


def _benchmarks_page() -> str:
    """benchmarks/README.md, its links made to work from the site's root."""
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    return _rewrite_links(text, "benchmarks")


def _readme_section(title: str) -> str:
    """The body of the README section with heading ``## title`` ('' if there is none)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    return match.group(1).strip() if match else ""


def _ops_page() -> str:
    """The op table: every op of ``autograd.ops.OPS`` with its symbol and, where the table
    records them, its operands and local derivatives; then the README's table of domains."""
    from autograd import ops

    table = sorted(ops.OPS.items())
    columns = ["op", "symbol"]
    if any(getattr(op, "names", None) for _, op in table):
        columns.append("operands")
    if any(getattr(op, "formula", None) for _, op in table):
        columns.append("local derivatives")
    lines = [
        "# The ops",
        "",
        "Every op of the engine's table (`autograd/ops.py`): the name the table knows it by,",
        "the symbol the drawings show and, where the table records it, the local derivative",
        "of its output with respect to each operand: the rule `backward()` multiplies by",
        "the upstream gradient.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + " --- |" * len(columns),
    ]
    for name, op in table:
        cells = {
            "op": f"`{name}`",
            "symbol": f"`{getattr(op, 'symbol', name)}`",
            "operands": ", ".join(getattr(op, "names", ()) or ()),
            "local derivatives": _derivatives(op),
        }
        lines.append("| " + " | ".join(_cell(cells[column]) for column in columns) + " |")
    domains = _readme_section("The ops")
    if domains:
        lines += ["", "## Domains and derivative notes", "", domains]
    return "\n".join(lines) + "\n"


def _derivatives(op: Any) -> str:
    """``∂out/∂a = b, ∂out/∂b = a``: the op's formula paired with its Value operands' names
    (a number operand, such as ``c`` in ``x * c``, has no derivative of its own)."""
    formula = getattr(op, "formula", ()) or ()
    names = getattr(op, "names", ()) or ()
    return ", ".join(f"∂out/∂{name} = {rule}" for name, rule in zip(names, formula, strict=False))


def _cell(text: str) -> str:
    """Text for a Markdown table cell (no pipes), or a dash when empty."""
    return text.replace("|", "\\|") if text else "–"


def _step_through_example(path: Path) -> None:
    """A standalone step-through page of micrograd's neuron, and a page that links to it."""
    from autograd import Value
    from autograd.viz import trace_backward
    from nn.cli.expression import parse_expression

    leaves = {name: Value(value, label=name) for name, value in NEURON_VALUES.items()}
    result = parse_expression(NEURON).evaluate(leaves)
    assert isinstance(result, Value)
    path.parent.mkdir(parents=True, exist_ok=True)
    trace_backward(result).save_html(path, title=f"Backward pass of {NEURON}")
    values = " ".join(f"{name}={value}" for name, value in NEURON_VALUES.items())
    (path.parent / "index.md").write_text(
        "# A step-through page\n\n"
        "`trace.save_html(path)` and `glassgrad graph EXPR NAME=VALUE... --steps FILE.html` "
        "write a page that needs nothing beside it: no network, no other files. This one "
        f"steps through the backward pass of micrograd's neuron `{NEURON}` at {values}:\n\n"
        f'<p><a href="{path.name}">Open the step-through page</a></p>\n',
        encoding="utf-8",
    )


def write_try_page(target: Path) -> int:
    """Write the try page into ``target``; return the bytes it takes.

    The page and its Python helper come from ``docs/try/``; Pyodide's runtime and Graphviz's
    WebAssembly build from ``node_modules/`` (`TRY_ASSETS`); ``glassgrad.zip`` holds the
    ``autograd`` and ``nn`` packages and graphviz's Python package (pure Python: it writes the
    DOT source, which the page renders).
    """
    import graphviz

    if not (NODE_MODULES / "pyodide").is_dir():
        raise SystemExit("build_site: the try page needs the npm packages: run `npm ci` first")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "runner.py"):
        shutil.copyfile(SOURCES / "try" / name, target / name)
    for folder, (npm_package, files) in TRY_ASSETS.items():
        (target / folder).mkdir(exist_ok=True)
        for name in files:
            shutil.copyfile(NODE_MODULES / npm_package / name, target / folder / name)
    packages = [ROOT / "autograd", ROOT / "nn", Path(graphviz.__file__).parent]
    with zipfile.ZipFile(target / "glassgrad.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for package in packages:
            # The modules and the files they read (the step-through page's CSS and script).
            bundled = (p for p in package.rglob("*") if p.suffix in (".py", ".css", ".js", ".html"))
            for path in sorted(bundled):
                name = path.relative_to(package.parent).as_posix()
                entry = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))  # the same bytes each build
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, path.read_bytes())
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())


def _link_try_page(notebook: Path) -> None:
    """Put a link to the try page under an executed lesson's title."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))
    link = {
        "cell_type": "markdown",
        "id": "glassgrad-try-it",
        "metadata": {},
        "source": [
            "*Nothing installed?* [Try glassgrad in the browser](../try/index.html): edit a "
            "program, run it, and see its graph and a step-through of its backward pass."
        ],
    }
    cells["cells"].insert(1, link)
    notebook.write_text(json.dumps(cells, ensure_ascii=False), encoding="utf-8")


def _copy_mathjax(target: Path) -> None:
    """MathJax 2.7 from the jupyter-server-mathjax package (TeX input, HTML-CSS output with
    its STIX-Web fonts), plus a small config file of ours that tells it to use those fonts."""
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"

    def unused(directory: str, names: list[str]) -> set[str]:
        # SVG output and translations are never loaded by an English page with HTML-CSS output.
        here = Path(directory)
        if here == source / "jax" / "output":
            return {"SVG"} & set(names)
        if here == source / "localization":
            return set(names) - {"en"}
        return set()

    shutil.copytree(source, target, ignore=unused)
    local = target / "config" / "local"
    local.mkdir(parents=True, exist_ok=True)
    (local / "glassgrad.js").write_text(MATHJAX_FONTS, encoding="utf-8")


def _execute_notebooks(names: Sequence[str], course: Path, run: Path, jobs: int) -> list[Path]:
    """Execute each notebook (``jobs`` at a time) in its own scratch directory; write the
    executed copies into ``course``; return their paths in course order."""
    course.mkdir(parents=True)
    sources = [NOTEBOOKS / f"{name}.ipynb" for name in names]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise SystemExit(f"build_site: no such notebook: {', '.join(missing)}")
    targets = [course / p.name for p in sources]
    # Fresh interpreters ("spawn"), not forks: a fork of a process with threads (a test run
    # that drove a browser or a Jupyter kernel before) can inherit a held lock and hang.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=spawn) as pool:
        futures = [
            pool.submit(_execute, str(source), str(target), str(run / source.stem))
            for source, target in zip(sources, targets, strict=True)
        ]
        for future in futures:
            print(future.result(), flush=True)
    return targets


def _execute(source: str, target: str, workdir: str) -> str:
    """Run one notebook top to bottom in ``workdir``; save it with its outputs to ``target``.

    The kernel talks to us over Unix sockets in ``workdir`` (with TCP, ipykernel warns on
    every start that it is unencrypted). Widget outputs are dropped: with no widget state
    they would show their first frame, such as a progress bar stuck at 0%.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    start = time.perf_counter()
    Path(workdir).mkdir(parents=True)
    notebook = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(workdir) / "kernel"))
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=600,
        startup_timeout=300,  # a kernel on a busy 2-core machine can take over a minute to start
        kernel_name="python3",
        resources={"metadata": {"path": workdir}},
        store_widget_state=False,  # its renderer would come from a CDN
    )
    try:
        client.execute()
    finally:
        if kernel.has_kernel:  # given its kernel, nbclient leaves it running
            kernel.shutdown_kernel(now=True)
    drop_widgets(notebook)
    nbformat.write(notebook, target)  # type: ignore[no-untyped-call]
    return f"executed {Path(source).name} in {time.perf_counter() - start:.0f} s"


def drop_widgets(notebook: Any) -> None:
    """Remove the widget outputs of an executed notebook, and its widget state.

    With no widget state (its renderer would come from a CDN) a widget shows the text it
    started with: tqdm's bar stuck at 0%. What the bar reported, the notebook prints anyway.
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET not in out.get("data", {})]


def _title(notebook: Path) -> str:
    """``01 · Values and graphs``: the notebook's number (from its file name) and the words
    of its first Markdown heading after any number of its own."""
    number = notebook.stem.split("_")[0]
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("# "):
                words = line[2:].split("·", 1)[-1].strip()
                return f"{number} · {words}"
    return notebook.stem


def _api_nav(docs: Path) -> list[Any]:
    """The API reference pages under docs/api/, in the order of their file names."""
    return [{_md_title(p): f"api/{p.name}"} for p in sorted((docs / "api").glob("*.md"))]


def _md_title(page: Path) -> str:
    """The first heading of a Markdown page."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


if __name__ == "__main__":
    sys.exit(main())
