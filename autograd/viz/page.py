"""The step-through page: the forward pass, then the backward pass, one node at a time.

Plain HTML, CSS and JavaScript, all inline: no ipywidgets and no files beside it, so the same
fragment works in Jupyter, in a notebook exported to HTML and as a standalone page opened
from disk.

graphviz renders the graph once, with every edge's chain-rule product in its label (so there
is room for it); the script shows step i on it by marking the step's node and edges, showing
only their products, and writing the values and gradients as they stood. Beside the picture
a panel says the step in words and lays out the chain rule: the op's local-derivative rule
from the op table, the same with numbers, the upstream gradient, each contribution and each
parent's gradient before and after. Clicking an input or a weight lists every path from it
to the output with the product of the local derivatives along it: their sum is its gradient.

The picture opens fitted to its box; hovering a box marks the edges that carry its value on;
buttons, keys (``+``, ``-``, ``0``), the wheel and
dragging zoom and pan it; "follow" (on by default) brings each step's node and the edges it
feeds into view at a scale where its text is legible (at least 10 px), and never shrinks
below that.

Test hooks (``data-testid``): ``prev``, ``next``, ``play``, ``slider``, ``fit``, ``zoom-in``,
``zoom-out``, ``follow``, ``phase``, ``step-text``, ``rule-head``, ``rule``, ``paths``,
``view``. In the SVG every value's box is a group of class ``node`` with id ``v<k>`` (``k``
its position in topological order), holding its label's text; the one being processed also
has class ``current``. Without JavaScript (an untrusted notebook) the graph, every product and the
first step's text still show, with a note saying why the buttons do nothing.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

from autograd.viz.draw import COLOURS, HIGHLIGHT, NEGATIVE, POSITIVE, RECEIVED

FOLLOW = "#0d9488"  # the edges leaving a hovered box: teal
MIN_TEXT_PX = 10  # the smallest node text "follow" allows
_FONT_PT = 11  # the drawings' node font size, in SVG units


_STYLE = f"""
.gg-trace {{ font-family: Helvetica, Arial, sans-serif; font-size: 14px; color: #0f172a; }}
.gg-trace .gg-controls {{ display: flex; align-items: center; gap: 6px; flex-wrap: wrap;
  margin: 4px 0; }}
.gg-trace button {{ min-width: 2.4em; padding: 2px 8px; }}
.gg-trace .gg-slider {{ flex: 1 1 160px; max-width: 360px; }}
.gg-trace .gg-counter {{ font-variant-numeric: tabular-nums; min-width: 10em; }}
.gg-trace .gg-phase {{ font-weight: bold; padding: 1px 8px; border-radius: 10px;
  background: #e0f2fe; color: #075985; }}
.gg-trace .gg-phase.gg-backward {{ background: #ede9fe; color: #5b21b6; }}
.gg-trace .gg-legend {{ display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px;
  color: #334155; margin: 2px 0 4px; align-items: center; }}
.gg-trace .gg-swatch {{ display: inline-block; width: 12px; height: 12px; vertical-align: -2px;
  border: 1px solid #64748b; margin-right: 3px; }}
.gg-trace .gg-line {{ display: inline-block; width: 22px; height: 0; vertical-align: 3px;
  margin-right: 3px; border-top-style: solid; }}
.gg-trace .gg-main {{ display: flex; gap: 8px; align-items: stretch; }}
.gg-trace .gg-view {{ flex: 1 1 auto; min-width: 0; height: var(--gg-height, 560px);
  border: 1px solid #cbd5e1; overflow: hidden; position: relative; cursor: grab;
  touch-action: none; background: #fff; }}
.gg-trace .gg-view.gg-dragging {{ cursor: grabbing; }}
.gg-trace .gg-view svg text {{ font-family: Helvetica, Arial, sans-serif; }}
.gg-trace .gg-view svg {{ display: block; width: 100%; height: 100%; user-select: none; }}
.gg-trace .gg-side {{ flex: 0 0 min(470px, 42%); max-height: var(--gg-height, 560px);
  overflow: auto; font-size: 13px; }}
.gg-trace .gg-explain {{ font-family: Menlo, Consolas, monospace; font-size: 12.5px;
  background: #f8fafc; border-left: 3px solid {HIGHLIGHT}; padding: 4px 8px;
  margin: 0 0 6px; overflow-wrap: anywhere; white-space: pre-wrap; }}
.gg-trace .gg-rule-head {{ font-family: Menlo, Consolas, monospace; font-size: 12.5px;
  margin: 2px 0 4px; color: {HIGHLIGHT}; font-weight: bold; }}
.gg-trace table.gg-rule {{ border-collapse: collapse; width: 100%; font-size: 12px; }}
.gg-trace table.gg-rule th, .gg-trace table.gg-rule td {{ border: 1px solid #e2e8f0;
  padding: 2px 4px; text-align: left; vertical-align: top; }}
.gg-trace table.gg-rule th {{ background: #f1f5f9; }}
.gg-trace table.gg-rule td.gg-num {{ font-family: Menlo, Consolas, monospace;
  white-space: pre-wrap; }}
.gg-trace .gg-paths {{ margin-top: 8px; border: 1px solid {POSITIVE}; padding: 4px 8px;
  background: #eff6ff; }}
.gg-trace .gg-paths ol {{ padding-left: 1.4em; margin: 4px 0; }}
.gg-trace .gg-paths li {{ font-family: Menlo, Consolas, monospace; font-size: 12px;
  overflow-wrap: anywhere; }}
.gg-trace .gg-nojs {{ color: #64748b; font-size: 12px; }}
.gg-trace .gg-hint {{ color: #64748b; font-size: 12px; }}
.gg-trace g.node.current polygon, .gg-trace g.node.gg-current-op path,
.gg-trace g.node.gg-current-op polygon {{ stroke: {HIGHLIGHT}; stroke-width: 3px; }}
.gg-trace g.node.current text, .gg-trace g.node.gg-current-op text {{ fill: {HIGHLIGHT}; }}
.gg-trace g.edge.gg-current path, .gg-trace g.edge.gg-feeding path {{
  stroke: {HIGHLIGHT} !important; }}
.gg-trace g.edge.gg-current polygon, .gg-trace g.edge.gg-feeding polygon {{
  stroke: {HIGHLIGHT} !important; fill: {HIGHLIGHT} !important; }}
.gg-trace polygon.gg-received {{ fill: {RECEIVED}; }}
.gg-trace text.gg-product {{ visibility: hidden; }}
.gg-trace .gg-current text.gg-product {{ visibility: visible; fill: {HIGHLIGHT};
  font-weight: bold; }}
.gg-trace g.edge.gg-path path {{ stroke: {POSITIVE}; stroke-dasharray: 6 3; }}
.gg-trace g.node.gg-path-node polygon {{ stroke: {POSITIVE}; stroke-width: 2px; }}
.gg-trace g.node.gg-leaf {{ cursor: pointer; }}
.gg-trace g.edge.gg-out path {{ stroke: {FOLLOW} !important; stroke-width: 3px !important; }}
.gg-trace g.edge.gg-out polygon {{ stroke: {FOLLOW} !important; fill: {FOLLOW} !important; }}
.gg-trace .gg-pending {{ fill: #94a3b8; }}
"""

# Wires up every step-through on the page that is not wired yet, so showing the same trace
# twice (or two traces) in one notebook works, and running this script again is harmless.
_SCRIPT = r"""
(function () {
  var traces = Array.prototype.slice.call(
    document.querySelectorAll(".gg-trace:not([data-gg-ready])"));
  // Where the notebook runs this script before its output is in the document, the
  // step-through around the script is still found.
  var script = document.currentScript;
  var own = script && script.closest ? script.closest(".gg-trace") : null;
  if (own && !own.hasAttribute("data-gg-ready") && traces.indexOf(own) < 0) { traces.push(own); }
  function each(list, f) { Array.prototype.forEach.call(list, f); }
  function fmt(x) {  // the same as format_number in Python
    if (x === 0) { return "0.0000"; }
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e6) { return x.toFixed(4); }
    var s = x.toExponential(4);
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  }
  function num(x) { var s = fmt(x); return x < 0 ? "(" + s + ")" : s; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  traces.forEach(function (root) {
    root.setAttribute("data-gg-ready", "1");
    var data = JSON.parse(root.querySelector(".gg-steps").textContent);
    var view = root.querySelector(".gg-view");
    var svg = view.querySelector("svg");
    function q(id) { return root.querySelector('[data-testid="' + id + '"]'); }
    var slider = q("slider"), prev = q("prev"), next = q("next"), play = q("play");
    var counter = root.querySelector(".gg-counter"), phase = q("phase");
    var explain = q("step-text"), rule = q("rule"), ruleHead = q("rule-head");
    var pathsBox = q("paths"), follow = q("follow");
    var nF = data.forward.length, nB = data.backward.length, last = nF + nB - 1;
    var current = 0, timer = null;
    function byId(id) { return svg.querySelector('[id="' + id + '"]'); }

    // ---- the view: a viewBox kept at the box's aspect, so one unit is `scale` px ----------
    var box0 = svg.viewBox.baseVal;
    var full = {x: box0.x, y: box0.y, w: box0.width, h: box0.height};
    svg.removeAttribute("width"); svg.removeAttribute("height");
    var cam = {cx: full.x + full.w / 2, cy: full.y + full.h / 2, s: 1};
    function size() { return {w: view.clientWidth || 800, h: view.clientHeight || 500}; }
    function apply() {
      var v = size();
      svg.setAttribute("viewBox", [cam.cx - v.w / 2 / cam.s, cam.cy - v.h / 2 / cam.s,
                                   v.w / cam.s, v.h / cam.s].join(" "));
      root.setAttribute("data-scale", cam.s.toFixed(3));
    }
    function legible() { return data.minTextPx / data.fontPt; }
    function fit() {
      var v = size();
      cam.s = Math.min(v.w / full.w, v.h / full.h) * 0.94;
      cam.cx = full.x + full.w / 2; cam.cy = full.y + full.h / 2;
      apply();
    }
    function zoom(factor, px, py) {  // keeps the point under (px, py) where it is
      var v = size();
      if (px === undefined) { px = v.w / 2; py = v.h / 2; }
      var ux = cam.cx + (px - v.w / 2) / cam.s, uy = cam.cy + (py - v.h / 2) / cam.s;
      cam.s = Math.max(0.02, Math.min(20, cam.s * factor));
      cam.cx = ux - (px - v.w / 2) / cam.s; cam.cy = uy - (py - v.h / 2) / cam.s;
      apply();
    }
    // An element's box in the SVG's own units, whatever the current view.
    function userBox(node) {
      var r = node.getBoundingClientRect(), m = svg.getScreenCTM();
      if (!m || (r.width === 0 && r.height === 0)) { return null; }
      var inv = m.inverse(), p = svg.createSVGPoint();
      p.x = r.left; p.y = r.top; var a = p.matrixTransform(inv);
      p.x = r.right; p.y = r.bottom; var b = p.matrixTransform(inv);
      return {x: a.x, y: a.y, x2: b.x, y2: b.y};
    }
    function union(boxes) {
      var u = null;
      boxes.forEach(function (b) {
        if (!b) { return; }
        if (!u) { u = {x: b.x, y: b.y, x2: b.x2, y2: b.y2}; return; }
        u.x = Math.min(u.x, b.x); u.y = Math.min(u.y, b.y);
        u.x2 = Math.max(u.x2, b.x2); u.y2 = Math.max(u.y2, b.y2);
      });
      return u;
    }
    // Follow: the step's node, its op and the edges it feeds in view, text legible.
    function reveal(nodeIds, extraIds) {
      var v = size(), pad = 8;
      function boxOf(id) { var e = byId(id); return e ? userBox(e) : null; }
      var core = union(nodeIds.map(boxOf));
      if (!core) { return; }
      var s = Math.max(cam.s, legible());
      function fits(b, scale) {
        return (b.x2 - b.x) * scale <= v.w - 2 * pad && (b.y2 - b.y) * scale <= v.h - 2 * pad;
      }
      // The operands nearest the node first, as many as fit at a legible scale.
      var cx = (core.x + core.x2) / 2, cy = (core.y + core.y2) / 2;
      function distance(b) {
        return Math.abs((b.x + b.x2) / 2 - cx) + Math.abs((b.y + b.y2) / 2 - cy);
      }
      var extras = extraIds.map(boxOf).filter(function (b) { return b; });
      extras.sort(function (a, b) { return distance(a) - distance(b); });
      var all = core;
      extras.forEach(function (b) {
        var grown = union([all, b]);
        if (fits(grown, s)) { all = grown; }
      });
      function inView(b, scale) {
        var x0 = cam.cx - (v.w / 2 - pad) / scale, x1 = cam.cx + (v.w / 2 - pad) / scale;
        var y0 = cam.cy - (v.h / 2 - pad) / scale, y1 = cam.cy + (v.h / 2 - pad) / scale;
        return b.x >= x0 && b.x2 <= x1 && b.y >= y0 && b.y2 <= y1;
      }
      var target = all;
      if (s === cam.s && inView(target, s)) { return; }
      cam.s = s;
      cam.cx = (target.x + target.x2) / 2; cam.cy = (target.y + target.y2) / 2;
      apply();
    }

    // ---- the cells each step rewrites ---------------------------------------------------
    var cells = {};  // node index -> {data: text el, grad: text el, gradCell: polygon}
    each(svg.querySelectorAll("g.node"), function (g) {
      if (!/^v\d+$/.test(g.id)) { return; }
      var k = Number(g.id.slice(1)), c = {};
      each(g.querySelectorAll("text"), function (t) {
        if (t.textContent.indexOf("data ") === 0) { c.data = t; c.dataStart = t.textContent; }
        if (t.textContent.indexOf("grad ") === 0) {
          c.grad = t; c.gradCell = t.previousElementSibling;
        }
      });
      cells[k] = c;
      if (data.parents[k] === null) {
        g.classList.add("gg-leaf");
        g.addEventListener("click", function (event) { event.stopPropagation(); showPaths(k); });
      }
    });
    // A product is two lines, "g × local" and "= contribution": both show only in its step.
    each(svg.querySelectorAll("g.edge"), function (g) {
      var inProduct = false;
      each(g.querySelectorAll("text"), function (t) {
        inProduct = inProduct || t.textContent.indexOf("\u00d7") >= 0;
        if (inProduct) { t.classList.add("gg-product"); }
      });
    });
    var edgeStyle = {};  // edge id -> its path and arrowhead, for the flow colours
    function edgeParts(id) {
      if (!edgeStyle[id]) {
        var g = byId(id);
        edgeStyle[id] = g ? {path: g.querySelector("path"), head: g.querySelector("polygon")} : {};
      }
      return edgeStyle[id];
    }
    var flowed = [];
    function setFlow(id, sign, width) {
      var e = edgeParts(id);
      if (!e.path) { return; }
      var colour = sign > 0 ? "POSITIVE" : "NEGATIVE";
      e.path.style.stroke = colour; e.path.style.strokeWidth = width + "px";
      if (e.head) { e.head.style.stroke = colour; e.head.style.fill = colour; }
      flowed.push(id);
    }
    function clearFlows() {
      flowed.forEach(function (id) {
        var e = edgeParts(id);
        e.path.style.stroke = ""; e.path.style.strokeWidth = "";
        if (e.head) { e.head.style.stroke = ""; e.head.style.fill = ""; }
      });
      flowed = [];
    }
    function clearMarks() {
      var marked = ".current, .gg-current, .gg-feeding, .gg-current-op, .gg-received";
      each(svg.querySelectorAll(marked), function (e) {
        ["current", "gg-current", "gg-feeding", "gg-current-op", "gg-received"].forEach(
          function (name) { e.classList.remove(name); });
      });
    }
    function mark(id, cls) { var e = byId(id); if (e) { e.classList.add(cls); } }
    function edgeIds(k) {
      return (data.parents[k] || []).map(function (_, pos) { return "e" + k + "_" + pos; });
    }

    // ---- the panel beside the picture ---------------------------------------------------
    function table(head, rows) {
      rule.textContent = "";
      var tr = el("tr");
      head.forEach(function (h) { tr.appendChild(el("th", h)); });
      rule.appendChild(tr);
      rows.forEach(function (r) {
        var row = el("tr");
        r.forEach(function (cell, i) { row.appendChild(el("td", cell, i > 0 ? "gg-num" : "")); });
        rule.appendChild(row);
      });
    }
    function showForward(i) {
      var f = data.forward[i];
      phase.textContent = "Forward pass"; phase.classList.remove("gg-backward");
      counter.textContent = "step " + (i + 1) + " of " + nF;
      explain.textContent = "Forward step " + (i + 1) + " of " + nF + ": " + f.text;
      ruleHead.textContent = "";
      table(["operand", "value"], f.rows);
      for (var k in cells) {
        var c = cells[k];
        if (c.grad) { c.grad.textContent = "grad"; }
      }
      data.forward.forEach(function (g, j) {
        var c = cells[g.node];
        if (c && c.data) {
          c.data.textContent = j <= i ? "data " + g.data : "data ?";
          c.data.classList.toggle("gg-pending", j > i);
        }
      });
      mark("v" + f.node, "current"); mark("o" + f.node, "gg-current-op");
      mark("r" + f.node, "gg-current");
      var edges = edgeIds(f.node);
      edges.forEach(function (id) { mark(id, "gg-feeding"); });
      var operands = (data.parents[f.node] || []).map(function (p) { return "v" + p[0]; });
      return {nodes: ["v" + f.node, "o" + f.node], extra: operands};
    }
    function showBackward(i) {
      var b = data.backward[i];
      phase.textContent = "Backward pass"; phase.classList.add("gg-backward");
      counter.textContent = "step " + (i + 1) + " of " + nB;
      for (var k in cells) {
        var c = cells[k];
        if (c.data) { c.data.textContent = c.dataStart; c.data.classList.remove("gg-pending"); }
        if (c.grad) { c.grad.textContent = "grad " + data.startGrads[k]; }
      }
      for (var j = 0; j <= i; j++) {
        var s = data.backward[j];
        s.grads.forEach(function (pair) {
          var c = cells[pair[0]]; if (c && c.grad) { c.grad.textContent = "grad " + pair[1]; }
        });
        s.flows.forEach(function (f) { setFlow("e" + s.node + "_" + f[0], f[1], f[2]); });
      }
      var rootName = data.short[data.root], name = data.short[b.node];
      var lines = ["Backward step " + (i + 1) + " of " + nB + ": " + b.head,
        "upstream \u2202" + rootName + "/\u2202" + name + " = " + b.upstream];
      if (!b.flowed) {
        lines.push(b.upstream === "0.0000" ? "nothing flows back: the upstream gradient is 0"
                                             : "every local derivative is 0: nothing flows back");
      } else if (b.rows.length <= 4) {
        b.rows.forEach(function (r) {
          lines.push(r[1] + ".grad += " + b.upstream + " \u00d7 " + r[4] + " = " + r[5]);
        });
      } else {
        lines.push("each of its " + b.rows.length + " operands gets upstream \u00d7 local (table)");
      }
      explain.textContent = lines.join("\n");
      ruleHead.textContent = b.op + ": " +
        (b.rules.length ? b.rules.join(",  ") : "(the rule is given as code only)");
      table(["operand", "local derivative", "upstream \u00d7 local", "grad before \u2192 after"],
        b.rows.map(function (r) {
          var same = !r[3] || r[3] === r[4] || r[3] === "(" + r[4] + ")" ||
            Number(r[3]) === Number(r[4]);
          var numbers = same ? r[4] : r[3] + " = " + r[4];
          var operand = r[1] === r[0] || r[1].slice(-r[0].length - 1) === "." + r[0]
            ? r[1] : r[0] + " = " + r[1];
          return [operand, numbers, b.upstream + " \u00d7 " + r[4] + " = " + r[5],
                  r[6] + " \u2192 " + r[7]];
        }));
      mark("v" + b.node, "current"); mark("o" + b.node, "gg-current-op");
      mark("r" + b.node, "gg-current");
      var edges = edgeIds(b.node), parentsIds = [];
      edges.forEach(function (id) { mark(id, "gg-current"); });
      b.grads.forEach(function (pair) {
        var c = cells[pair[0]];
        if (c && c.gradCell) { c.gradCell.classList.add("gg-received"); }
      });
      (data.parents[b.node] || []).forEach(function (p) { parentsIds.push("v" + p[0]); });
      return {nodes: ["v" + b.node, "o" + b.node], extra: parentsIds};
    }
    function show(i) {
      current = Math.max(0, Math.min(last, i));
      clearMarks(); clearFlows();
      var focus = current < nF ? showForward(current) : showBackward(current - nF);
      slider.value = String(current);
      prev.disabled = current === 0;
      next.disabled = current === last;
      root.setAttribute("data-step", String(current));
      root.setAttribute("data-phase", current < nF ? "forward" : "backward");
      if (follow.checked) { reveal(focus.nodes, focus.extra); }
    }

    // ---- paths: every way from a leaf to the output --------------------------------------
    var children = {};
    data.parents.forEach(function (ps, k) {
      (ps || []).forEach(function (p, pos) {
        (children[p[0]] = children[p[0]] || []).push([k, p[1], pos]);
      });
    });
    function clearPaths() {
      each(svg.querySelectorAll(".gg-path, .gg-path-node"), function (e) {
        e.classList.remove("gg-path"); e.classList.remove("gg-path-node");
      });
    }
    function showPaths(leaf) {
      clearPaths();
      // The gradient by the sum over paths, computed edge by edge (each node once).
      var below = {}; below[data.root] = 1;
      for (var k = data.root; k >= 0; k--) {
        if (below[k] === undefined) { continue; }
        (data.parents[k] || []).forEach(function (p) {
          below[p[0]] = (below[p[0]] || 0) + below[k] * p[1];
        });
      }
      var count = {}; count[data.root] = 1;
      for (var m = data.root; m >= 0; m--) {
        if (count[m] === undefined) { continue; }
        (data.parents[m] || []).forEach(function (p) {
          count[p[0]] = (count[p[0]] || 0) + count[m];
        });
      }
      var listed = [], limit = 20;
      (function walk(k, names, factors) {
        if (listed.length >= limit) { return; }
        if (k === data.root) { listed.push([names, factors]); return; }
        (children[k] || []).forEach(function (c) {
          walk(c[0], names.concat([data.short[c[0]]]), factors.concat([c[1]]));
        });
      })(leaf, [data.names[leaf]], []);
      // Mark every edge and node on some path.
      var reach = {}; reach[leaf] = true;
      for (var n = leaf + 1; n <= data.root; n++) {
        (data.parents[n] || []).forEach(function (p, pos) {
          if (reach[p[0]]) { reach[n] = true; mark("e" + n + "_" + pos, "gg-path"); }
        });
        if (reach[n]) { mark("r" + n, "gg-path"); mark("v" + n, "gg-path-node"); }
      }
      mark("v" + leaf, "gg-path-node");
      pathsBox.textContent = "";
      var total = count[leaf] || 0;
      pathsBox.appendChild(el("b", "Paths from " + data.names[leaf] + " to " +
        data.short[data.root] + ": " + total + (total === 1 ? " path" : " paths")));
      pathsBox.appendChild(el("div", "Along each path the local derivatives multiply (the " +
        "chain rule); the gradient is the sum over all paths.", "gg-hint"));
      var list = el("ol");
      listed.forEach(function (p) {
        var product = p[1].reduce(function (a, b) { return a * b; }, 1);
        list.appendChild(el("li", p[0].join(" \u2192 ") + ": " +
          (p[1].length ? p[1].map(num).join(" \u00d7 ") : "1") + " = " + fmt(product)));
      });
      pathsBox.appendChild(list);
      if (total > listed.length) {
        var more = total - listed.length;
        pathsBox.appendChild(el("div", "(" + more + " more paths not listed)", "gg-hint"));
      }
      var sum = below[leaf] || 0;
      pathsBox.appendChild(el("div", "sum over paths = " + fmt(sum) + " = \u2202" +
        data.short[data.root] + "/\u2202" + data.names[leaf] + " (its grad after this pass: " +
        data.finalGrads[leaf] + ")", "gg-sum"));
      var close = el("button", "close");
      close.type = "button";
      close.addEventListener("click", function () { pathsBox.hidden = true; clearPaths(); });
      pathsBox.appendChild(close);
      pathsBox.hidden = false;
    }

    // ---- following one value: hovering its box marks every edge that carries it on -----
    each(svg.querySelectorAll("g.node"), function (g) {
      if (!/^v\d+$/.test(g.id)) { return; }
      var k = Number(g.id.slice(1));
      g.addEventListener("mouseenter", function () {
        (children[k] || []).forEach(function (c) { mark("e" + c[0] + "_" + c[2], "gg-out"); });
      });
      g.addEventListener("mouseleave", function () {
        each(svg.querySelectorAll(".gg-out"), function (e) { e.classList.remove("gg-out"); });
      });
    });

    // ---- controls -----------------------------------------------------------------------
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
    q("fit").addEventListener("click", fit);
    q("zoom-in").addEventListener("click", function () { zoom(1.25); });
    q("zoom-out").addEventListener("click", function () { zoom(0.8); });
    view.addEventListener("wheel", function (event) {
      var r = view.getBoundingClientRect();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - r.left, event.clientY - r.top);
      event.preventDefault();
    }, {passive: false});
    var drag = null;
    view.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = {x: event.clientX, y: event.clientY, cx: cam.cx, cy: cam.cy, moved: false};
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      drag.moved = true; view.classList.add("gg-dragging");
      cam.cx = drag.cx - dx / cam.s; cam.cy = drag.cy - dy / cam.s;
      apply();
    });
    window.addEventListener("pointerup", function () {
      drag = null; view.classList.remove("gg-dragging");
    });
    root.addEventListener("keydown", function (event) {
      if (event.target === slider) { return; }  // the slider handles its own arrow keys
      var k = event.key, done = true;
      if (k === "ArrowLeft") { stop(); show(current - 1); }
      else if (k === "ArrowRight") { stop(); show(current + 1); }
      else if (k === "+" || k === "=") { zoom(1.25); }
      else if (k === "-") { zoom(0.8); }
      else if (k === "0") { fit(); }
      else { done = false; }
      if (done) { event.preventDefault(); }
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { apply(); }).observe(view);
    }
    each(root.querySelectorAll("button, input"), function (e) { e.disabled = false; });
    root.querySelector(".gg-nojs").hidden = true;
    fit();
    show(0);
  });
})();
""".replace("POSITIVE", POSITIVE).replace("NEGATIVE", NEGATIVE)


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


def step_through(svg: str, data: dict[str, Any]) -> str:
    """The HTML fragment that steps through a trace on its rendered graph ``svg``.

    ``data`` is `BackwardTrace.page_data`: the steps with their texts, ready to show.
    """
    if not data["backward"]:
        raise ValueError("step-through: need at least one step")
    data = data | {"minTextPx": MIN_TEXT_PX, "fontPt": _FONT_PT}
    steps = _json_for_html(data)
    # A stable id (from the content), so the same trace always gives the same page.
    digest = hashlib.sha256((steps + svg).encode("utf-8")).hexdigest()[:12]
    total = len(data["forward"]) + len(data["backward"])
    first = data["forward"][0]["text"] if data["forward"] else data["backward"][0]["head"]
    return f"""<div class="gg-trace" id="gg-trace-{digest}" data-step="0" tabindex="0">
<style>{_STYLE}</style>
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
{_inline_svg(svg)}
</div>
<div class="gg-side">
<div class="gg-explain" data-testid="step-text">{html.escape(first)}</div>
<div class="gg-rule-head" data-testid="rule-head"></div>
<table class="gg-rule" data-testid="rule"></table>
<div class="gg-paths" data-testid="paths" hidden></div>
</div>
</div>
<script type="application/json" class="gg-steps">{steps}</script>
<script>{_SCRIPT}</script>
</div>"""


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
