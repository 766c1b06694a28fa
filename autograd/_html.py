"""The step-through page of a backward pass: one graph, a slider, Prev / Next / Play.

Plain HTML, CSS and a few lines of JavaScript, all inline: no ipywidgets and no files beside
it, so the same fragment works in Jupyter, in a notebook exported to HTML and as a standalone
page opened from disk.

graphviz renders the graph once, with every edge's chain-rule product in its label; the
script draws frame i on it by marking the step's node and edges (their SVG ids are ``v<k>``,
``o<k>``, ``e<k>_<operand>`` and ``r<k>``, see ``autograd.draw``), showing only those edges'
products, and setting the grad cells to their values after step i. Without JavaScript (an
untrusted notebook) the graph, every product and the first step's text still show, with a
note saying why the buttons do nothing.

Elements carry fixed classes so scripts and tests can find them: ``gg-trace`` (the container;
its ``data-step`` is the step shown), ``gg-prev``, ``gg-play``, ``gg-next``, ``gg-slider``,
``gg-counter``, ``gg-explain``, ``gg-graph`` (holds the SVG), ``gg-nojs``; in the SVG,
``gg-current`` (the step's node, op and edges), ``gg-received`` (grad cells that just changed)
and ``gg-product`` (the chain-rule products in the edge labels, shown for the current step).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from autograd.draw import HIGHLIGHT, RECEIVED


@dataclass(frozen=True)
class FrameData:
    """What the page needs to show one step on the shared graph.

    Attributes:
        caption: the step in words (`BackwardTrace.explain` with a step counter).
        node: index of the step's node: the SVG elements ``v<node>``, ``o<node>``,
            ``r<node>`` and ``e<node>_*`` are marked.
        edges: the ids of the edges into the op, whose products the frame shows.
        grads: (node index, text) for each gradient this step changed, its new value.
    """

    caption: str
    node: int
    edges: Sequence[str]
    grads: Sequence[tuple[int, str]]


_STYLE = f"""
.gg-trace {{ font-family: Helvetica, Arial, sans-serif; font-size: 14px; }}
.gg-trace .gg-controls {{ display: flex; align-items: center; gap: 8px; flex-wrap: wrap;
  margin: 4px 0; }}
.gg-trace button {{ min-width: 4.5em; padding: 2px 8px; }}
.gg-trace .gg-slider {{ flex: 1 1 240px; max-width: 480px; }}
.gg-trace .gg-counter {{ font-variant-numeric: tabular-nums; min-width: 8em; }}
.gg-trace .gg-explain {{ font-family: Menlo, Consolas, monospace; font-size: 13px;
  background: #f8fafc; border-left: 3px solid {HIGHLIGHT}; padding: 4px 8px; margin: 4px 0;
  overflow-wrap: anywhere; }}
.gg-trace .gg-graph {{ overflow: auto; max-height: 85vh; border: 1px solid #e2e8f0; }}
.gg-trace .gg-nojs {{ color: #64748b; font-size: 12px; }}
.gg-trace .gg-current path, .gg-trace .gg-current polygon {{ stroke: {HIGHLIGHT};
  stroke-width: 2.5px; }}
.gg-trace .edge.gg-current polygon {{ fill: {HIGHLIGHT}; }}
.gg-trace .node.gg-current text {{ fill: {HIGHLIGHT}; }}
.gg-trace polygon.gg-received {{ fill: {RECEIVED}; }}
.gg-trace text.gg-product {{ visibility: hidden; }}
.gg-trace .gg-current text.gg-product {{ visibility: visible; fill: {HIGHLIGHT};
  font-weight: bold; }}
"""

# Wires up every step-through on the page that is not wired yet, so showing the same trace
# twice (or two traces) in one notebook works, and running this script again is harmless.
_SCRIPT = """
(function () {
  var traces = Array.prototype.slice.call(
    document.querySelectorAll(".gg-trace:not([data-gg-ready])"));
  // Where the notebook runs this script before its output is in the document, the
  // step-through around the script is still found.
  var script = document.currentScript;
  var own = script && script.closest ? script.closest(".gg-trace") : null;
  if (own && !own.hasAttribute("data-gg-ready") && traces.indexOf(own) < 0) { traces.push(own); }
  traces.forEach(function (root) {
    root.setAttribute("data-gg-ready", "1");
    var steps = JSON.parse(root.querySelector(".gg-steps").textContent);
    var svg = root.querySelector(".gg-graph svg");
    var slider = root.querySelector(".gg-slider");
    var prev = root.querySelector(".gg-prev");
    var next = root.querySelector(".gg-next");
    var play = root.querySelector(".gg-play");
    var counter = root.querySelector(".gg-counter");
    var explain = root.querySelector(".gg-explain");
    var last = steps.length - 1;
    var current = 0;
    var timer = null;
    function byId(id) { return svg.querySelector('[id="' + id + '"]'); }
    // The grad cell of each value box: its text, the cell behind it, and the starting text.
    var gradCells = {};
    Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {
      Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
        if (t.textContent.indexOf("grad ") === 0) {
          var cell = t.previousElementSibling;
          gradCells[g.id] = {text: t, cell: cell, start: t.textContent};
        }
      });
    });
    // Each edge's product (the label line with a "×") shows only while its step is shown.
    Array.prototype.forEach.call(svg.querySelectorAll("g.edge text"), function (t) {
      if (t.textContent.indexOf("\u00d7") >= 0) { t.classList.add("gg-product"); }
    });
    function clear() {
      Array.prototype.forEach.call(svg.querySelectorAll(".gg-current, .gg-received"),
        function (el) { el.classList.remove("gg-current"); el.classList.remove("gg-received"); });
      Object.keys(gradCells).forEach(function (id) {
        gradCells[id].text.textContent = gradCells[id].start;
      });
    }
    function mark(id) { var el = byId(id); if (el) { el.classList.add("gg-current"); } }
    // Scroll the graph's box (never the page) so that the step's op is in view: in a big
    // graph the next step is often far from the last.
    var view = root.querySelector(".gg-graph");
    function reveal(el) {
      if (!el) { return; }
      var box = el.getBoundingClientRect();
      var frame = view.getBoundingClientRect();
      if (box.left < frame.left || box.right > frame.right) {
        view.scrollLeft += box.left - frame.left - (frame.width - box.width) / 2;
      }
      if (box.top < frame.top || box.bottom > frame.bottom) {
        view.scrollTop += box.top - frame.top - (frame.height - box.height) / 2;
      }
    }
    function show(i) {
      current = Math.max(0, Math.min(last, i));
      clear();
      for (var k = 0; k <= current; k++) {
        steps[k].grads.forEach(function (pair) {
          var cell = gradCells["v" + pair[0]];
          if (cell) { cell.text.textContent = "grad " + pair[1]; }
        });
      }
      var step = steps[current];
      ["v", "o", "r"].forEach(function (kind) { mark(kind + step.node); });
      step.edges.forEach(mark);
      step.grads.forEach(function (pair) {
        var cell = gradCells["v" + pair[0]];
        if (cell && cell.cell) { cell.cell.classList.add("gg-received"); }
      });
      slider.value = String(current);
      counter.textContent = "step " + (current + 1) + " of " + steps.length;
      explain.textContent = step.caption;
      prev.disabled = current === 0;
      next.disabled = current === last;
      root.setAttribute("data-step", String(current));
      reveal(byId("o" + step.node));
    }
    function stop() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      play.textContent = "Play";
    }
    prev.addEventListener("click", function () { stop(); show(current - 1); });
    next.addEventListener("click", function () { stop(); show(current + 1); });
    slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (current === last) { show(0); }
      play.textContent = "Pause";
      timer = setInterval(function () {
        if (current >= last) { stop(); } else { show(current + 1); }
      }, 900);
    });
    root.addEventListener("keydown", function (event) {
      if (event.target === slider) { return; }  // the slider handles its own arrow keys
      if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
      if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
    });
    Array.prototype.forEach.call(root.querySelectorAll("button, .gg-slider"), function (el) {
      el.disabled = false;
    });
    root.querySelector(".gg-nojs").hidden = true;
    show(0);
  });
})();
"""


def _inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone: the XML prolog and doctype are not allowed inside HTML."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("step-through: the rendered graph is not SVG (no <svg> element)")
    return svg[start:].strip()


def _json_for_html(data: object) -> str:
    """JSON that is safe inside a <script> element (no "</script>" can end it early)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def step_through(svg: str, frames: Sequence[FrameData]) -> str:
    """The HTML fragment that steps through ``frames`` on the rendered graph ``svg``."""
    if not frames:
        raise ValueError("step-through: need at least one step")
    steps = _json_for_html([asdict(frame) for frame in frames])
    # A stable id (from the content), so the same trace always gives the same page.
    digest = hashlib.sha256((steps + svg).encode("utf-8")).hexdigest()[:12]
    n = len(frames)
    return f"""<div class="gg-trace" id="gg-trace-{digest}" data-step="0" tabindex="0">
<style>{_STYLE}</style>
<div class="gg-controls">
<button type="button" class="gg-prev" disabled>&#9664; Prev</button>
<button type="button" class="gg-play" disabled>Play</button>
<button type="button" class="gg-next" disabled>Next &#9654;</button>
<input type="range" class="gg-slider" min="0" max="{n - 1}" step="1" value="0" disabled
 aria-label="step">
<span class="gg-counter">step 1 of {n}</span>
<span class="gg-nojs">(the buttons need JavaScript; in Jupyter, trust the notebook)</span>
</div>
<div class="gg-explain">{html.escape(frames[0].caption)}</div>
<div class="gg-graph">
{_inline_svg(svg)}
</div>
<script type="application/json" class="gg-steps">{steps}</script>
<script>{_SCRIPT}</script>
</div>"""


def standalone_page(fragment: str, title: str) -> str:
    """A complete HTML document around a step-through fragment."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
</head>
<body>
<h1 style="font-family: Helvetica, Arial, sans-serif; font-size: 18px;">{html.escape(title)}</h1>
{fragment}
</body>
</html>
"""


def message(text: str) -> str:
    """A one-line note in place of a step-through that cannot be shown."""
    return f'<div class="gg-trace-message"><em>{html.escape(text)}</em></div>'
