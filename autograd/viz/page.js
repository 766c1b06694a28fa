// The step-through page's script (autograd/viz/page.py puts it inline after the page's data).
// It wires up every step-through on the page that is not wired yet, so showing the same trace
// twice (or two traces) in one notebook works, and running this script again is harmless.
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
    if (x === null) { return "inf"; }  // an infinite slope (sqrt at 0): JSON has no inf
    if (x === 0) { return "0.0000"; }
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e6) { return x.toFixed(4); }
    var s = x.toExponential(4);
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  }
  function num(x) { var s = fmt(x); return x < 0 ? "(" + s + ")" : s; }
  // A number already written by Python, as a factor: a negative one in parentheses.
  function factor(text) { return text.charAt(0) === "-" ? "(" + text + ")" : text; }
  function product(upstream, local, result) {
    return factor(upstream) + " \u00d7 " + factor(local) + " = " + result;
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  // Keys on a page that has just opened (nothing focused yet) go to its step-through when
  // it has only one; keys typed anywhere else (a notebook's cells, another widget) never do.
  if (!document.ggTraceKeys) {
    document.ggTraceKeys = true;
    document.addEventListener("keydown", function (event) {
      var t = event.target;
      if (t !== document.body && t !== document.documentElement && t !== document) { return; }
      var all = document.querySelectorAll(".gg-trace[data-gg-ready]");
      if (all.length === 1 && all[0].ggKey) { all[0].ggKey(event); }
    });
  }
  traces.forEach(function (root) {
    root.setAttribute("data-gg-ready", "1");
    var data = JSON.parse(root.querySelector(".gg-steps").textContent);
    var svg = root.querySelector(".gg-view svg");
    if (svg) { wire(root, data, svg); } else { drawInBrowser(root, data); }
  });

  // ---- without graphviz's dot: Graphviz in WebAssembly draws the graph from its DOT source -
  // viz-global.js defines the global Viz. It is loaded once per page, trying each address in
  // turn: a copy beside the page if its writer put one there, then the pinned CDN file, whose
  // hash the browser checks (integrity) before running it.
  function loadScript(source) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = source.src;
      if (source.integrity) { s.integrity = source.integrity; s.crossOrigin = "anonymous"; }
      s.onload = function () { if (window.Viz) { resolve(window.Viz); } else { reject(); } };
      s.onerror = function () { s.remove(); reject(new Error("cannot load " + source.src)); };
      document.head.appendChild(s);
    });
  }
  function loadViz(sources) {
    if (window.Viz) { return Promise.resolve(window.Viz); }
    if (!window.ggVizLoading) {
      window.ggVizLoading = sources.reduce(function (loading, source) {
        return loading.catch(function () { return loadScript(source); });
      }, Promise.reject(new Error("no address for viz-global.js")));
    }
    return window.ggVizLoading;
  }
  // Graphviz in WebAssembly cannot measure the browser's fonts: it sizes each box from its
  // own tables of letter widths, one per font it knows ("Helvetica,Arial,sans-serif", a list,
  // is not one of them: it would be sized as Times). So the graph is laid out with the known
  // font whose widths are nearest those of the font the browser draws the text in (DejaVu
  // Sans where Helvetica and Arial are missing), measured on a sample; if that font is still
  // narrower, every text is shrunk by as much, so that it fits its box as under dot.
  var LAYOUT_FONTS = ["Helvetica", "DejaVu Sans", "Verdana", "Times", "Courier"];
  var SAMPLE = "data 0.0000 grad";
  function layoutWidth(viz, font) {  // the sample's width at size 100, as Graphviz sizes it
    var plain = viz.renderString('digraph { s [shape=box, margin=0, fontsize=100, fontname="' +
      font + '", label="' + SAMPLE + '"] }', {format: "plain"});
    return Number(plain.split("\n")[1].split(" ")[4]) * 72;  // node s x y WIDTH (inches)
  }
  function layoutFont(viz, font) {
    var context = document.createElement("canvas").getContext("2d");
    context.font = "100px " + font;
    var drawn = context.measureText(SAMPLE).width, best = null;
    LAYOUT_FONTS.forEach(function (name) {
      var width = layoutWidth(viz, name);
      if (!best || Math.abs(width - drawn) < Math.abs(best.width - drawn)) {
        best = {name: name, width: width};
      }
    });
    return {name: best.name, scale: Math.min(1, best.width / drawn)};
  }
  function fitTexts(svg, scale) {
    if (scale > 0.98) { return; }
    each(svg.querySelectorAll("text[font-size]"), function (t) {
      t.style.fontSize = (Number(t.getAttribute("font-size")) * scale) + "px";
    });
  }
  function drawInBrowser(root, data) {
    var view = root.querySelector(".gg-view");
    function draw(viz) {
      var font = layoutFont(viz, data.font);
      var svg = viz.renderSVGElement(
        data.dot.split('fontname="' + data.font + '"').join('fontname="' + font.name + '"'));
      // As page.py does with dot's SVG: no tooltip per box (its <title>, "v12").
      each(svg.querySelectorAll("title"), function (t) { t.remove(); });
      view.textContent = "";
      view.appendChild(svg);
      fitTexts(svg, font.scale);  // then "follow" zooms in by as much more, as legible
      data.minScale = Math.max(data.minScale, data.minNodeScale / font.scale);
      data.maxScale = data.maxScale / font.scale;
      root.setAttribute("data-layout-font", font.name);
      root.setAttribute("data-drawn-by", "viz");
      return svg;
    }
    function unavailable() {  // said in the graph's place; the steps still work without it
      byTestId(root, "graph-note").hidden = true;
      byTestId(root, "graph-unavailable").hidden = false;
      var empty = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      empty.setAttribute("viewBox", "0 0 1 1");
      empty.style.display = "none";
      view.appendChild(empty);
      root.setAttribute("data-drawn-by", "none");
      return empty;
    }
    loadViz(data.viz).then(function (Viz) { return Viz.instance(); })
      .then(draw, unavailable)
      .then(function (svg) { wire(root, data, svg); });
  }
  function byTestId(root, id) { return root.querySelector('[data-testid="' + id + '"]'); }

  // ---- a step-through on its graph ------------------------------------------------------
  function wire(root, data, svg) {
    var view = root.querySelector(".gg-view");
    function q(id) { return root.querySelector('[data-testid="' + id + '"]'); }
    var slider = q("slider"), prev = q("prev"), next = q("next"), play = q("play");
    var counter = root.querySelector(".gg-counter"), phase = q("phase");
    var explain = q("step-text"), rule = q("rule"), ruleHead = q("rule-head");
    var pathsBox = q("paths"), follow = q("follow"), offView = root.querySelector(".gg-off-view");
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
    // Follow: the step's node and the operands it reads or hands gradients to, in view at
    // the largest zoom where they all fit, between legible (minScale) and big (maxScale).
    // A graph that fits whole at a legible size is shown whole. When the operands cannot all
    // fit legibly, the node and the operands nearest it do; the panel says how many are out.
    var boxes = {};  // element id -> its box in SVG units (they never change)
    function boxOf(id) {
      if (!boxes[id]) {
        var e = byId(id);
        var b = e ? userBox(e) : null;
        if (!b) { return null; }
        boxes[id] = b;
      }
      return boxes[id];
    }
    function fitScale(b) {
      var v = size(), pad = 10;
      return Math.min((v.w - 2 * pad) / Math.max(b.x2 - b.x, 1),
                      (v.h - 2 * pad) / Math.max(b.y2 - b.y, 1));
    }
    function place(b, scale) {
      cam.s = scale; cam.cx = (b.x + b.x2) / 2; cam.cy = (b.y + b.y2) / 2;
      apply();
    }
    function reveal(coreIds, operands) {
      var whole = {x: full.x, y: full.y, x2: full.x + full.w, y2: full.y + full.h};
      var lo = data.minScale, hi = data.maxScale;
      if (fitScale(whole) >= lo) {
        place(whole, Math.min(hi, fitScale(whole)));
        return 0;
      }
      var core = union(coreIds.map(boxOf));
      if (!core) { return 0; }
      var cx = (core.x + core.x2) / 2, cy = (core.y + core.y2) / 2;
      function distance(b) {
        return Math.abs((b.x + b.x2) / 2 - cx) + Math.abs((b.y + b.y2) / 2 - cy);
      }
      var units = operands.map(function (ids) { return union(ids.map(boxOf)); })
        .filter(function (b) { return b; });
      units.sort(function (a, b) { return distance(a) - distance(b); });
      var chosen = core, left = 0;
      units.forEach(function (b) {
        var grown = union([chosen, b]);
        if (fitScale(grown) >= lo) { chosen = grown; } else { left += 1; }
      });
      place(chosen, Math.min(hi, fitScale(chosen)));
      return left;
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
    // The current step's chain-rule products, "g × local = contribution", each written
    // beside its edge: the layout keeps no room for them (so that a neuron's operands fit in
    // one view), so each goes where along its edge it covers the least of the boxes and of
    // the labels placed before it, on a white halo.
    var svgNS = "http://www.w3.org/2000/svg";
    var products = document.createElementNS(svgNS, "g");
    (svg.querySelector("g.graph") || svg).appendChild(products);
    var obstacles = null, placed = [];
    function overlap(a, b) {
      var w = Math.min(a.x2, b.x2) - Math.max(a.x, b.x);
      var h = Math.min(a.y2, b.y2) - Math.max(a.y, b.y);
      return w > 0 && h > 0 ? w * h : 0;
    }
    function moveLabel(t, x, y) {
      t.setAttribute("x", String(x)); t.setAttribute("y", String(y));
      each(t.childNodes, function (span) { span.setAttribute("x", String(x)); });
    }
    function productLabel(k, pos, text) {
      var edge = byId("e" + k + "_" + pos);
      var path = edge ? edge.querySelector("path") : null;
      if (!path) { return; }
      if (!obstacles) {
        obstacles = [];
        each(svg.querySelectorAll("g.node"), function (g) {
          var b = userBox(g); if (b) { obstacles.push(b); }
        });
      }
      var t = document.createElementNS(svgNS, "text");
      t.setAttribute("id", "p" + k + "_" + pos); t.setAttribute("class", "gg-product");
      t.setAttribute("font-size", String(data.edgeFontPt));
      t.setAttribute("text-anchor", "middle");
      text.split(" = ").forEach(function (line, n) {  // "g × local" over "= contribution"
        var span = document.createElementNS(svgNS, "tspan");
        span.setAttribute("dy", n ? "1.1em" : "0");
        span.textContent = n ? "= " + line : line;
        t.appendChild(span);
      });
      products.appendChild(t);
      var length = path.getTotalLength(), best = null;
      var w = t.getBBox().width + 8;  // beside the edge, left or right, when above it is full
      [0.1, 0.3, 0.5, 0.2, 0.7, 0.85].forEach(function (share) {
        var at = path.getPointAtLength(length * share);
        var f = data.edgeFontPt;
        [0, w / 2, -w / 2, w, -w, 1.5 * w, -1.5 * w].forEach(function (dx) {
          [-4 - f, f + 2, -4 - 2.5 * f, 2.5 * f + 2, -4 - 4 * f, 4 * f + 2].forEach(function (dy) {
            if (best && best.cost === 0) { return; }
            moveLabel(t, at.x + dx, at.y + dy);
            var b = userBox(t), cost = 0;
            if (!b) { return; }
            obstacles.concat(placed).forEach(function (o) { cost += overlap(b, o); });
            if (!best || cost < best.cost) {
              best = {cost: cost, x: at.x + dx, y: at.y + dy, box: b, at: at,
                      far: Math.abs(dy) > 2 * f || Math.abs(dx) > w / 2};
            }
          });
        });
      });
      if (best) {
        moveLabel(t, best.x, best.y);
        placed.push(best.box);
        if (best.far) {  // moved off its edge: a thin leader line from the edge to the label
          var bb = t.getBBox(), line = document.createElementNS(svgNS, "line");
          var top = best.at.y < bb.y;
          line.setAttribute("x1", String(best.at.x)); line.setAttribute("y1", String(best.at.y));
          line.setAttribute("x2", String(Math.max(bb.x, Math.min(best.at.x, bb.x + bb.width))));
          line.setAttribute("y2", String(top ? bb.y + 1 : bb.y + bb.height - 1));
          line.setAttribute("class", "gg-leader");
          products.insertBefore(line, products.firstChild);
        }
      }
    }
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
      var colour = sign > 0 ? data.colours.positive : data.colours.negative;
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
      products.textContent = ""; placed = [];
      var marked = ".current, .gg-current, .gg-feeding, .gg-current-op, .gg-received";
      each(svg.querySelectorAll(marked), function (e) {
        ["current", "gg-current", "gg-feeding", "gg-current-op", "gg-received"].forEach(
          function (name) { e.classList.remove(name); });
      });
    }
    function mark(id, cls) { var e = byId(id); if (e) { e.classList.add(cls); } }
    // Each distinct operand of node k: its box and the labels of its edges into k's op.
    function operandIds(k) {
      var byParent = {}, order = [];
      (data.parents[k] || []).forEach(function (p, pos) {
        if (!byParent[p[0]]) { byParent[p[0]] = ["v" + p[0]]; order.push(p[0]); }
        byParent[p[0]].push("p" + k + "_" + pos);
      });
      return order.map(function (p) { return byParent[p]; });
    }
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
      return {nodes: ["v" + f.node, "o" + f.node], extra: operandIds(f.node)};
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
          lines.push(r[1] + ".grad += " + product(b.upstream, r[4], r[5]));
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
          return [operand, numbers, product(b.upstream, r[4], r[5]),
                  r[6] + " \u2192 " + r[7]];
        }));
      mark("v" + b.node, "current"); mark("o" + b.node, "gg-current-op");
      mark("r" + b.node, "gg-current");
      edgeIds(b.node).forEach(function (id) { mark(id, "gg-current"); });
      if (b.rows.length <= data.maxEdgeProducts) {  // more would bury the node: the table
        b.rows.forEach(function (r, pos) {
          productLabel(b.node, pos, product(b.upstream, r[4], r[5]));
        });
      }
      b.grads.forEach(function (pair) {
        var c = cells[pair[0]];
        if (c && c.gradCell) { c.gradCell.classList.add("gg-received"); }
      });
      return {nodes: ["v" + b.node, "o" + b.node], extra: operandIds(b.node)};
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
      var out = follow.checked ? reveal(focus.nodes, focus.extra) : 0;
      offView.textContent = out ? out + (out === 1 ? " operand is" : " operands are") +
        " out of view at a legible size: the table lists every operand" : "";
      root.setAttribute("data-off-view", String(out));
      showInset(current < nF ? data.forward[current].node : data.backward[current - nF].node);
    }

    // ---- the inset: a picture of what the graph computes (nn's network), its part marked -
    var inset = root.querySelector(".gg-inset"), insetNow = root.querySelector(".gg-inset-now");
    var insetParts = data.inset ? data.inset.parts : {}, insetMarked = null;
    function showInset(k) {
      if (!inset) { return; }
      if (insetMarked) { insetMarked.classList.remove("gg-inset-current"); insetMarked = null; }
      var id = insetParts[String(k)];
      var part = id ? inset.querySelector('[id="' + id + '"]') : null;
      if (part) { part.classList.add("gg-inset-current"); insetMarked = part; }
      insetNow.textContent = id ? "this step: " + data.inset.names[String(k)]
                                : "this step: " + data.short[k] + " (not in the picture)";
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
    function onKey(event) {
      if (event.target === slider) { return; }  // the slider handles its own arrow keys
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // the browser's own
      var k = event.key, done = true;
      if (k === "ArrowLeft") { stop(); show(current - 1); }
      else if (k === "ArrowRight") { stop(); show(current + 1); }
      else if (k === "+" || k === "=") { zoom(1.25); }
      else if (k === "-") { zoom(0.8); }
      else if (k === "0") { fit(); }
      else { done = false; }
      if (done) { event.preventDefault(); }
    }
    root.addEventListener("keydown", onKey);
    root.ggKey = onKey;
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (follow.checked) { show(current); } else { apply(); }
      }).observe(view);
    }
    each(root.querySelectorAll("button, input"), function (e) { e.disabled = false; });
    root.querySelector(".gg-nojs").hidden = true;
    fit();
    show(0);
  }
})();
