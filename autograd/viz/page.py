"""The step-through page: the forward pass, then the backward pass, one node at a time.

Plain HTML, CSS and JavaScript, all inline in the fragment: no ipywidgets and, when graphviz's
``dot`` drew the graph, nothing to fetch (without ``dot``, see the last paragraph), so the same
fragment works in Jupyter, in a notebook exported to HTML and as a standalone page opened from
disk. The style and the script are written in ``page.css`` and ``page.js`` beside
this module (package data, read with ``importlib.resources``) and copied into each page.

graphviz lays the graph out once, compactly (``build_digraph(compact=True)``: a neuron's
operands close around it, no room kept for edge labels); the script shows step i on it by
marking the step's node and edges, writing each of the step's chain-rule products beside its
edge where it covers the least, and setting the values and gradients as they stood. Beside
the picture a panel says the step in words and lays out the chain rule: the op's
local-derivative rule from the op table, the same with numbers, the upstream gradient, each
contribution and each parent's gradient before and after. Clicking an input or a weight
lists every path from it to the output with the product of the local derivatives along it:
their sum is its gradient.

The picture opens fitted to its box; hovering a box marks the edges that carry its value on;
buttons, keys (``←`` ``→`` step, ``+`` ``-`` ``0`` zoom), the wheel and dragging zoom and pan
it. The keys work as soon as a page with one step-through opens. "follow" (on by default)
shows the whole graph when it fits with node text at least ``MIN_TEXT_PX`` high; otherwise at
each step it shows the step's node and its operands (with their edges' products) at the
largest zoom where they fit, never past node text of ``MAX_TEXT_PX`` and never below a
legible size (node text ``MIN_TEXT_PX``, edge labels ``MIN_EDGE_TEXT_PX``). Operands that do
not fit legibly (a neuron of 16 inputs) are left out, nearest first kept, and the panel says
how many; its table lists every operand (and, past ``MAX_EDGE_PRODUCTS`` operands, holds the
products that the edges then leave out).

An optional inset above the panel (nn's network picture, handed over by ``nn.trace_network``)
marks at each step the part of it that the step's node is (its neuron).

Test hooks (``data-testid``): ``prev``, ``next``, ``play``, ``slider``, ``fit``, ``zoom-in``,
``zoom-out``, ``follow``, ``phase``, ``step-text``, ``rule-head``, ``rule``, ``paths``,
``view``, ``graph-note`` and, with an inset, ``inset`` (its marked element has class
``gg-inset-current``).
In the SVG every value's box is a group of class ``node`` with id ``v<k>`` (``k`` its position
in topological order), holding its label's text; the one being processed also has class
``current``; a receiving operand's grad cell has class ``gg-received``. Without JavaScript (an
untrusted notebook) the graph and the first step's text still show, with a note saying why
the buttons do nothing.

Without graphviz's ``dot`` (`step_through` given no SVG) the page carries the graph's DOT
source instead, the same that ``dot`` would have laid out, and draws it in the browser with
Graphviz compiled to WebAssembly (npm ``@viz-js/viz``, whose ``viz-global.js`` defines
``Viz``): its SVG is graphviz's own, with the same ids and classes, so the script then steps
through it as through a page drawn by ``dot``. The script is loaded from beside the page when
its writer put a copy there (``viz_src``; `local_viz_script` is the copy that ``make`` puts
into the package, from ``node_modules``), else from a pinned CDN address checked by its hash
(`VIZ_URL`, `VIZ_INTEGRITY`). If neither loads (offline, blocked), the view says plainly what
would show the graph (graphviz installed, or a connection) and the steps' text and tables
still work.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any

from autograd.viz.draw import COLOURS, FONT, FONT_SIZE, HIGHLIGHT, NEGATIVE, POSITIVE, RECEIVED
from autograd.viz.errors import INSTALL_HINT

__all__ = [
    "EDGE_FONT_PT",
    "FOLLOW",
    "GRAPH_PENDING",
    "GRAPH_UNAVAILABLE",
    "INSET_WIDTH_PX",
    "MAX_EDGE_PRODUCTS",
    "MAX_TEXT_PX",
    "MIN_EDGE_TEXT_PX",
    "MIN_TEXT_PX",
    "NODE_FONT_PT",
    "VIZ_FILE",
    "VIZ_INTEGRITY",
    "VIZ_URL",
    "VIZ_VERSION",
    "local_viz_script",
    "message",
    "standalone_page",
    "step_through",
]

FOLLOW = "#0d9488"  # the edges leaving a hovered box: teal
MIN_TEXT_PX = 10  # the smallest node text "follow" allows
MAX_TEXT_PX = 14  # the largest node text "follow" zooms in to
MIN_EDGE_TEXT_PX = 11  # the smallest edge label (a chain-rule product) "follow" allows
NODE_FONT_PT = FONT_SIZE  # the drawings' node font size, in SVG units (points)
EDGE_FONT_PT = 12  # the page's edge-label font size, in SVG units
INSET_WIDTH_PX = 300  # the inset picture's width in the panel
MAX_EDGE_PRODUCTS = 9  # a step with more operands has its products in the table only

VIZ_VERSION = "3.31.0"
"""The version of npm's ``@viz-js/viz`` (Graphviz in WebAssembly) the pages load without
``dot``: the one ``package-lock.json`` pins."""
VIZ_FILE = "viz-global.js"
"""Its one-file build, which defines the global ``Viz``; the name it has beside a page."""
VIZ_URL = f"https://cdn.jsdelivr.net/npm/@viz-js/viz@{VIZ_VERSION}/dist/{VIZ_FILE}"
"""Where a page loads it from when there is no copy beside the page."""
VIZ_INTEGRITY = "sha384-iX6VK6ib27dxYB4T470zbHOsDDoLewuYvrIgv2B3XXe8kgfKsGMf8QIleFy6VPi4"
"""The SHA-384 of that exact file (Subresource Integrity): the browser runs nothing else."""


@functools.cache
def _asset(name: str) -> str:
    """``page.css`` or ``page.js``, the files beside this module (package data)."""
    return resources.files("autograd.viz").joinpath(name).read_text(encoding="utf-8")


def local_viz_script() -> bytes | None:
    """``viz-global.js`` as package data (``autograd/viz/vendor/``), or None when absent.

    It is not in git: ``make`` (its ``npm`` target, which ``make test`` runs when npm is
    there) copies it from ``node_modules/@viz-js/viz/dist/`` after ``npm ci``, so an install
    from such a checkout can write it beside a page that needs it and work offline.
    """
    copy = resources.files("autograd.viz").joinpath("vendor", VIZ_FILE)
    return copy.read_bytes() if copy.is_file() else None


def _colours() -> str:
    """The page's colours as CSS custom properties: one palette, shared with the drawings."""
    names = {"highlight": HIGHLIGHT, "positive": POSITIVE, "negative": NEGATIVE,
             "received": RECEIVED, "follow": FOLLOW}  # fmt: skip
    return ".gg-trace { " + " ".join(f"--gg-{k}: {v};" for k, v in names.items()) + " }"


_SVG_NOISE = re.compile(r"<!--.*?-->\n?|<title>[^<]*</title>\n?| font-family=\"[^\"]*\"", re.DOTALL)


def _inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone, without what the page does not need.

    The XML prolog and doctype are not allowed inside HTML. graphviz's comments, its
    ``<title>`` per node and edge (tooltips reading ``v12``) and the font family repeated on
    every text (the page's style sets it once) are a fifth of a big graph's SVG.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("step-through: the rendered graph is not SVG (no <svg> element)")
    return _SVG_NOISE.sub("", svg[start:]).strip()


def _json_for_html(data: object) -> str:
    """JSON that is safe inside a <script> element (no "</script>" can end it early)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _legend() -> str:
    """The page's legend: it stays in view whatever the zoom, unlike one inside the SVG."""
    items = [
        f'<span><span class="gg-swatch" style="background:{COLOURS["leaf"]}"></span>input</span>',
        f'<span><span class="gg-swatch" style="background:{COLOURS["parameter"]}"></span>'
        "parameter</span>",
        f'<span><span class="gg-swatch" style="background:{COLOURS["op"]}"></span>op</span>',
        f'<span><span class="gg-swatch" style="background:{COLOURS["root"]}"></span>output</span>',
        f'<span><span class="gg-swatch" style="border:3px solid {HIGHLIGHT}"></span>'
        "this step</span>",
        f'<span><span class="gg-swatch" style="background:{RECEIVED}"></span>'
        "grad just received</span>",
        f'<span><span class="gg-line" style="border-top:3px solid {POSITIVE}"></span>'
        "gradient flowing back, positive</span>",
        f'<span><span class="gg-line" style="border-top:3px solid {NEGATIVE}"></span>'
        "negative (width: how much)</span>",
        '<span class="gg-hint">hover a box: where its value goes · '
        "click an input or a weight: its paths to the output · "
        "keys: ← → step, + − zoom, 0 fit · drag to pan, wheel to zoom</span>",
    ]
    return f'<div class="gg-legend">{"".join(items)}</div>'


def step_through(
    svg: str | None,
    data: dict[str, Any],
    *,
    dot_source: str | None = None,
    viz_src: str | None = None,
    inset_svg: str | None = None,
    inset_caption: str = "",
) -> str:
    """The HTML fragment that steps through a trace on its rendered graph ``svg``.

    ``data`` is `BackwardTrace.page_data`: the steps with their texts, ready to show.
    ``inset_svg``, when given, is a small picture shown above the panel (nn's network), whose
    element for each step's node (``data["inset"]["parts"]``) is marked at that step.

    With ``svg`` None (graphviz's ``dot`` is missing), ``dot_source`` is the graph's DOT
    source and the page draws it in the browser with Graphviz in WebAssembly, loaded from
    ``viz_src`` (an address relative to the page, such as `VIZ_FILE` beside it) if given and
    it loads, else from `VIZ_URL`.
    """
    if not data["backward"]:
        raise ValueError("step-through: need at least one step")
    if (svg is None) == (dot_source is None):
        raise ValueError("step-through: give either the rendered svg or the dot_source")
    graph = _inline_svg(svg) if svg is not None else _graph_note()
    if dot_source is not None:
        sources = [{"src": viz_src}] if viz_src else []
        sources.append({"src": VIZ_URL, "integrity": VIZ_INTEGRITY})
        # minNodeScale: the zoom at which node text is MIN_TEXT_PX, for the script to keep
        # when it draws the text smaller than dot would (see page.js's fitTexts).
        data = data | {"dot": dot_source, "viz": sources, "font": FONT,
                       "minNodeScale": MIN_TEXT_PX / NODE_FONT_PT}  # fmt: skip
    scales = {
        "minScale": max(MIN_TEXT_PX / NODE_FONT_PT, MIN_EDGE_TEXT_PX / EDGE_FONT_PT),
        "maxScale": MAX_TEXT_PX / NODE_FONT_PT,
        "colours": {"positive": POSITIVE, "negative": NEGATIVE},
        "edgeFontPt": EDGE_FONT_PT,
        "maxEdgeProducts": MAX_EDGE_PRODUCTS,
    }
    steps = _json_for_html(data | scales)
    inset = ""
    if inset_svg is not None:
        inset = (
            f'<div class="gg-inset" data-testid="inset" style="width:{INSET_WIDTH_PX}px">'
            f'<div class="gg-hint">{html.escape(inset_caption)}</div>'
            f'{_inline_svg(inset_svg)}<div class="gg-inset-now"></div></div>'
        )
    # A stable id (from the content), so the same trace always gives the same page.
    digest = hashlib.sha256((steps + graph + inset).encode("utf-8")).hexdigest()[:12]
    total = len(data["forward"]) + len(data["backward"])
    first = data["forward"][0]["text"] if data["forward"] else data["backward"][0]["head"]
    return f"""<div class="gg-trace" id="gg-trace-{digest}" data-step="0" tabindex="0">
<style>{_colours()}
{_asset("page.css")}</style>
<div class="gg-controls">
<span class="gg-phase" data-testid="phase">Forward pass</span>
<button type="button" data-testid="prev" title="previous step (←)" disabled>&#9664; Prev</button>
<button type="button" data-testid="play" disabled>Play</button>
<button type="button" data-testid="next" title="next step (→)" disabled>Next &#9654;</button>
<input type="range" class="gg-slider" data-testid="slider" min="0" max="{total - 1}" step="1"
 value="0" disabled aria-label="step">
<span class="gg-counter">step 1</span>
<button type="button" data-testid="zoom-out" title="zoom out (-)" disabled>&minus;</button>
<button type="button" data-testid="zoom-in" title="zoom in (+)" disabled>+</button>
<button type="button" data-testid="fit" title="whole graph (0)" disabled>Fit</button>
<label><input type="checkbox" data-testid="follow" checked disabled> follow</label>
<span class="gg-nojs">(the buttons need JavaScript; in Jupyter, trust the notebook)</span>
</div>
{_legend()}
<div class="gg-main">
<div class="gg-view" data-testid="view">
{graph}
</div>
<div class="gg-side">
{inset}
<div class="gg-explain" data-testid="step-text">{html.escape(first)}</div>
<div class="gg-hint gg-off-view"></div>
<div class="gg-rule-head" data-testid="rule-head"></div>
<table class="gg-rule" data-testid="rule"></table>
<div class="gg-paths" data-testid="paths" hidden></div>
</div>
</div>
<script type="application/json" class="gg-steps">{steps}</script>
<script>{_asset("page.js")}</script>
</div>"""


GRAPH_PENDING = (
    "graphviz's dot program was missing when this page was written, so the page draws the "
    "graph itself, with Graphviz compiled to WebAssembly (viz-global.js). Drawing it…"
)
"""What the view says until the browser has drawn the graph (or for good, without JavaScript)."""
GRAPH_UNAVAILABLE = "The graph cannot be shown."
"""The headline of what the view says when the graph cannot be drawn in the browser either;
`_graph_note` adds why and the two ways to see it."""


def _graph_note() -> str:
    """The view's content for a page whose graph the browser draws: the note while it loads
    and the message shown if it cannot (hidden until then)."""
    host = VIZ_URL.split("/")[2]
    install = html.escape(INSTALL_HINT.removeprefix("Install graphviz: "))
    pending = html.escape(GRAPH_PENDING)
    return f"""<div class="gg-graph-note" data-testid="graph-note">{pending}</div>
<div class="gg-graph-note gg-graph-failed" data-testid="graph-unavailable" hidden>
<b>{GRAPH_UNAVAILABLE}</b> graphviz's <code>dot</code> program was missing when this page was
written, and the script that draws the graph in the browser instead (Graphviz compiled to
WebAssembly, <code>{VIZ_FILE}</code>) could not be loaded: it is not beside this page, and
{host} cannot be reached (offline, or blocked). To see the graph, either
<ul><li>install graphviz ({install}), then run the command that wrote this page again: the
graph is then drawn into the page; or</li>
<li>open this page with a connection to the internet.</li></ul>
The steps still work without the graph: the text and the tables beside it.</div>"""


def standalone_page(fragment: str, title: str) -> str:
    """A complete HTML document around a step-through fragment, filling the window."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<style>
body {{ margin: 8px 12px; }}
h1 {{ font-family: Helvetica, Arial, sans-serif; font-size: 18px; margin: 4px 0; }}
.gg-trace {{ --gg-height: calc(100vh - 130px); }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{fragment}
</body>
</html>
"""


def message(text: str) -> str:
    """A one-line note in place of a step-through that cannot be shown."""
    return f'<div class="gg-trace-message"><em>{html.escape(text)}</em></div>'
