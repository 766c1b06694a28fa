// glassgrad's training view: plays a recorded training run back, epoch by epoch.
// The data (a <script type="application/json"> beside this script) holds each epoch's weights;
// everything on screen is drawn from them here: the network picture's lines, the decision
// boundary (the network evaluated over a grid of the input plane) and the curves.
(function () {
  "use strict";
  const root = document.currentScript && document.currentScript.closest(".gg-training");
  if (!window.glassgradTraining) {
    window.glassgradTraining = makeLibrary();
  }
  if (root) {
    window.glassgradTraining.start(root);
  }

  function makeLibrary() {
    const POS = "#2563eb"; // blue: a positive weight, class 1
    const NEG = "#ea580c"; // orange: a negative weight, class 0
    const ZERO = "#9ca3af";
    const PALETTE = [NEG, POS, "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#4b5563"];
    const GRID = 64; // the boundary's grid: GRID x GRID evaluations of the network per epoch
    const TRAIN = "#1e293b";
    const VALID = "#0d9488";

    // The activations of autograd's op table, on numbers (gelu's erf to about 1e-7).
    function erf(x) {
      const sign = x < 0 ? -1 : 1;
      const a = Math.abs(x);
      const t = 1 / (1 + 0.3275911 * a);
      const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
        + 0.254829592) * t;
      return sign * (1 - poly * Math.exp(-a * a));
    }
    function sigmoid(z) {
      if (z >= 0) return 1 / (1 + Math.exp(-z));
      const e = Math.exp(z);
      return e / (1 + e);
    }
    const ACTIVATIONS = {
      relu: (z) => (z > 0 ? z : 0),
      tanh: Math.tanh,
      sigmoid: sigmoid,
      linear: (z) => z,
      leaky_relu: (z) => (z > 0 ? z : 0.01 * z),
      elu: (z) => (z > 0 ? z : Math.expm1(z)),
      gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
      silu: (z) => z * sigmoid(z),
      softplus: (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))),
    };

    // The model's outputs for input x: per neuron its weights, then its bias (as recorded).
    function forward(layers, w, x) {
      let input = x;
      let k = 0;
      for (const [nin, nout, activation] of layers) {
        const f = ACTIVATIONS[activation] || ACTIVATIONS.linear;
        const out = new Array(nout);
        for (let j = 0; j < nout; j++) {
          let z = 0;
          for (let i = 0; i < nin; i++) z += w[k++] * input[i];
          z += w[k++];
          out[j] = f(z);
        }
        input = out;
      }
      return input;
    }

    // A number as the network picture writes it in a circle or on a line (nn.network).
    function short(x) {
      if (x === 0) return "0";
      const a = Math.abs(x);
      if (a >= 0.01 && a < 100) return x.toFixed(2);
      if (a >= 100 && a < 10000) return x.toFixed(0);
      return x.toExponential(0).replace(/e([+-])(\d)$/, "e$10$2");
    }
    function rgb(hex) {
      return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    }
    function percent(x) {
      return (100 * x).toFixed(1) + "%";
    }
    function escape(text) {
      return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
    }

    const apps = {};

    function start(root) {
      if (root.dataset.started) return;
      root.dataset.started = "1";
      const data = JSON.parse(root.querySelector(".ggt-data").textContent);
      const byId = (name) => root.querySelector('[data-testid="' + name + '"]');
      const play = byId("play");
      const prev = byId("prev");
      const next = byId("next");
      const slider = byId("slider");
      const epochText = byId("epoch");
      const numbers = byId("numbers");
      const status = byId("status");
      const canvas = byId("boundary");
      const lossChart = byId("loss-chart");
      const accuracyChart = byId("accuracy-chart");
      const layers = data.layers;
      const outputs = layers[layers.length - 1][1];
      const outputActivation = layers[layers.length - 1][2];
      const live = !!data.live;
      let done = !live;
      let cur = 0;
      let playing = false;
      let timer = null;
      let scale = 0; // the largest |weight| of any line in any epoch: the widest line

      // ----- the network picture: its lines take each epoch's weights -----
      const svg = root.querySelector(".ggt-svg svg");
      const index = {};
      data.names.forEach((name, i) => { index[name] = i; });
      const lines = [];
      const tags = [];
      let marker = null;
      let weightsOfLines = [];
      if (svg) {
        svg.querySelectorAll("line.nn-edge").forEach((el) => {
          lines.push({ el: el, i: index[el.dataset.param], name: el.dataset.param,
                       title: el.querySelector("title") });
        });
        svg.querySelectorAll("g.nn-edge-value").forEach((el) => {
          const rect = el.querySelector("rect");
          const centre = parseFloat(rect.getAttribute("x")) + parseFloat(rect.getAttribute("width")) / 2;
          tags.push({ el: el, i: index[el.dataset.param], text: el.querySelector("text"),
                      rect: rect, centre: centre });
        });
        weightsOfLines = lines.map((line) => line.i);
        marker = lines.length ? lines[lines.length - 1].el.nextSibling : null;
        cropToNetwork(svg);
      }

      // The picture without its own title and legend (this view has its captions): from
      // the column headings down to the lowest circle.
      function cropToNetwork(svg) {
        let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
        svg.querySelectorAll("circle").forEach((c) => {
          const x = parseFloat(c.getAttribute("cx"));
          const y = parseFloat(c.getAttribute("cy"));
          const r = parseFloat(c.getAttribute("r"));
          left = Math.min(left, x - r); right = Math.max(right, x + r);
          top = Math.min(top, y - r); bottom = Math.max(bottom, y + r);
        });
        if (!isFinite(left)) return;
        left -= 90; right += 90; top -= 64; bottom += 24;
        if ((right - left) > 1.2 * (bottom - top)) root.classList.add("ggt-wide-net");
        svg.setAttribute("viewBox", [left, top, right - left, bottom - top].map((v) => v.toFixed(1)).join(" "));
        svg.removeAttribute("width");
        svg.removeAttribute("height");
      }

      // The column headings at 12 px on screen, however much the picture is shrunk.
      function fitHeadings() {
        if (!svg || !svg.viewBox || !svg.viewBox.baseVal) return;
        const box = svg.getBoundingClientRect();
        const view = svg.viewBox.baseVal;
        if (!box.width || !view.width) return;
        const shrink = Math.min(box.width / view.width, box.height / view.height);
        const heads = Array.from(svg.querySelectorAll('text[font-weight="bold"]'))
          .filter((t) => !t.closest(".nn-header"));
        let size = Math.min(28, 12 / shrink);
        heads.forEach((t) => t.setAttribute("font-size", size.toFixed(1)));
        // No wider than the space between two columns, nor past the picture's edges.
        const xs = heads.map((t) => parseFloat(t.getAttribute("x")));
        let room = Infinity;
        xs.forEach((x, i) => {
          if (i) room = Math.min(room, x - xs[i - 1]);
          room = Math.min(room, 2 * (x - view.x), 2 * (view.x + view.width - x));
        });
        const widest = Math.max(0, ...heads.map((t) => t.getComputedTextLength()));
        if (widest > 0.92 * room) {
          size *= (0.92 * room) / widest;
          heads.forEach((t) => t.setAttribute("font-size", size.toFixed(1)));
        }
        // The numbers on the lines were placed for 11 px: shrunk below 9 px, they go (the
        // tooltips keep them).
        root.classList.toggle("ggt-tiny-numbers", 11 * shrink < 9);
      }

      function updateScale(from) {
        for (let s = from; s < data.weights.length; s++) {
          const w = data.weights[s];
          for (const i of weightsOfLines) scale = Math.max(scale, Math.abs(w[i] || 0));
        }
      }

      function drawNetwork(w) {
        const sorted = lines.slice().sort((a, b) => Math.abs(w[a.i] || 0) - Math.abs(w[b.i] || 0));
        for (const line of sorted) {
          const v = w[line.i] || 0;
          const share = scale > 0 ? Math.min(Math.abs(v) / scale, 1) : 0;
          line.el.setAttribute("stroke-width", (0.6 + 6.4 * share).toFixed(2));
          line.el.setAttribute("stroke-opacity", (0.45 + 0.55 * share).toFixed(2));
          line.el.setAttribute("stroke", v > 0 ? POS : v < 0 ? NEG : ZERO);
          line.el.dataset.weight = String(v);
          if (line.title) line.title.textContent = line.name + " = " + v.toFixed(4);
          // Thin lines first, so the strong ones are drawn on top (as nn.network does).
          if (marker) line.el.parentNode.insertBefore(line.el, marker);
        }
        for (const tag of tags) {
          const v = w[tag.i] || 0;
          tag.text.textContent = short(v);
          tag.text.setAttribute("fill", v > 0 ? POS : v < 0 ? NEG : ZERO);
          const width = tag.text.getComputedTextLength ? tag.text.getComputedTextLength() + 4 : 0;
          if (width > 4) {
            tag.rect.setAttribute("width", width.toFixed(1));
            tag.rect.setAttribute("x", (tag.centre - width / 2).toFixed(1));
          }
        }
      }

      // ----- the decision boundary: the network over the input plane, the points on top -----
      const points = data.points;
      let bounds = null;
      const grid = document.createElement("canvas");
      grid.width = GRID;
      grid.height = GRID;
      if (points && canvas) {
        const xs = points.map((p) => p[0]);
        const ys = points.map((p) => p[1]);
        const lo = (v) => Math.min.apply(null, v);
        const hi = (v) => Math.max.apply(null, v);
        const mx = 0.1 * (hi(xs) - lo(xs)) + 0.25;
        const my = 0.1 * (hi(ys) - lo(ys)) + 0.25;
        bounds = [lo(xs) - mx, hi(xs) + mx, lo(ys) - my, hi(ys) + my];
        const ratio = window.devicePixelRatio || 1;
        canvas.width = Math.round(360 * ratio);
        canvas.height = Math.round(360 * ratio);
        if (outputs > 1) {
          root.querySelector(".ggt-boundary figcaption").textContent =
            "What it predicts over the input plane: the colour of the class with the largest " +
            "output (paler: less sure); dots: the training data, coloured by their class";
        }
      }

      // How sure the model is at x, and of which colour: [colour, strength in 0..1].
      function judge(out) {
        if (outputs === 1) {
          const o = out[0];
          const t = data.threshold;
          let s;
          if (outputActivation === "sigmoid") s = o > t ? (o - t) / (1 - t) : (o - t) / t;
          else s = Math.tanh(o - t);
          return [s > 0 ? POS : NEG, Math.min(Math.abs(s), 1)];
        }
        let best = 0;
        for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k;
        let sum = 0;
        for (let k = 0; k < out.length; k++) sum += Math.exp(out[k] - out[best]);
        const p = 1 / sum;
        const chance = 1 / out.length;
        return [PALETTE[best % PALETTE.length], (p - chance) / (1 - chance)];
      }

      function pointColour(label) {
        if (outputs === 1) return label > 0 ? POS : NEG;
        return PALETTE[Math.round(label) % PALETTE.length];
      }

      function drawBoundary(w) {
        if (!bounds) return;
        const [x0, x1, y0, y1] = bounds;
        const gctx = grid.getContext("2d");
        const image = gctx.createImageData(GRID, GRID);
        const tints = {};
        for (let j = 0; j < GRID; j++) {
          const y = y1 - ((j + 0.5) * (y1 - y0)) / GRID;
          for (let i = 0; i < GRID; i++) {
            const x = x0 + ((i + 0.5) * (x1 - x0)) / GRID;
            const [colour, strength] = judge(forward(layers, w, [x, y]));
            const base = tints[colour] || (tints[colour] = rgb(colour));
            const a = 0.1 + 0.6 * Math.pow(strength, 0.75);
            const at = 4 * (j * GRID + i);
            for (let c = 0; c < 3; c++) image.data[at + c] = Math.round(255 + (base[c] - 255) * a);
            image.data[at + 3] = 255;
          }
        }
        gctx.putImageData(image, 0, 0);
        const ctx = canvas.getContext("2d");
        const W = canvas.width;
        const H = canvas.height;
        const ratio = W / 360;
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = "high";
        ctx.drawImage(grid, 0, 0, W, H);
        const px = (x) => ((x - x0) / (x1 - x0)) * W;
        const py = (y) => ((y1 - y) / (y1 - y0)) * H;
        // The axes through 0, faintly, and the plane's extent in its corners.
        ctx.strokeStyle = "rgba(15, 23, 42, 0.25)";
        ctx.lineWidth = ratio;
        ctx.beginPath();
        if (x0 < 0 && x1 > 0) { ctx.moveTo(px(0), 0); ctx.lineTo(px(0), H); }
        if (y0 < 0 && y1 > 0) { ctx.moveTo(0, py(0)); ctx.lineTo(W, py(0)); }
        ctx.stroke();
        for (let k = 0; k < points.length; k++) {
          const [x, y] = points[k];
          ctx.beginPath();
          ctx.arc(px(x), py(y), 4.5 * ratio, 0, 2 * Math.PI);
          ctx.fillStyle = pointColour(data.labels[k]);
          ctx.fill();
          ctx.lineWidth = 1.5 * ratio;
          ctx.strokeStyle = "#ffffff";
          ctx.stroke();
        }
        ctx.font = 12 * ratio + "px DejaVu Sans, Helvetica, Arial, sans-serif";
        ctx.fillStyle = "#334155";
        ctx.textBaseline = "bottom";
        ctx.fillText("x0 " + x0.toFixed(1) + " … " + x1.toFixed(1), 6 * ratio, H - 4 * ratio);
        ctx.textBaseline = "top";
        ctx.fillText("x1 " + y0.toFixed(1) + " … " + y1.toFixed(1), 6 * ratio, 4 * ratio);
      }

      // ----- the curves, with the epoch shown marked -----
      const CHART = { left: 52, right: 386, top: 32, bottom: 170 };
      function lastEpoch() {
        return data.epochs[data.epochs.length - 1];
      }
      function totalEpochs() {
        return Math.max(data.total || 0, lastEpoch(), 1);
      }
      function series(values) {
        const T = totalEpochs();
        let path = "";
        values.forEach((v, s) => {
          if (v === null || v === undefined) return;
          const x = CHART.left + ((CHART.right - CHART.left) * data.epochs[s]) / T;
          path += (path ? " L" : "M") + x.toFixed(1) + " " + v.toFixed(2);
        });
        return path;
      }
      function drawChart(el, title, train, valid, top, format) {
        const T = totalEpochs();
        const y = (v) => CHART.bottom - ((CHART.bottom - CHART.top) * v) / top;
        const plot = (values) => series(values.map((v) => (v === null ? null : y(v))));
        let out = '<rect x="0" y="0" width="400" height="215" fill="#ffffff"/>';
        out += '<text class="ggt-title" x="12" y="18">' + escape(title) + " per epoch</text>";
        for (const v of [0, top / 2, top]) {
          out += '<line x1="' + CHART.left + '" x2="' + CHART.right + '" y1="' + y(v).toFixed(1) +
            '" y2="' + y(v).toFixed(1) + '" stroke="#e2e8f0"/>';
          out += '<text x="' + (CHART.left - 6) + '" y="' + (y(v) + 4).toFixed(1) +
            '" text-anchor="end">' + format(v) + "</text>";
        }
        out += '<text x="' + CHART.left + '" y="188" text-anchor="middle">0</text>';
        out += '<text x="' + CHART.right + '" y="188" text-anchor="middle">' + T + "</text>";
        out += '<text x="' + ((CHART.left + CHART.right) / 2) + '" y="206" text-anchor="middle">epoch</text>';
        out += '<path d="' + plot(train) + '" fill="none" stroke="' + TRAIN + '" stroke-width="2"/>';
        let legend = '<tspan fill="' + TRAIN + '">━ training</tspan>';
        if (valid.some((v) => v !== null)) {
          out += '<path d="' + plot(valid) + '" fill="none" stroke="' + VALID +
            '" stroke-width="2" stroke-dasharray="5 3"/>';
          legend += '<tspan fill="' + VALID + '">  ╍ validation</tspan>';
        }
        out += '<text x="386" y="18" text-anchor="end">' + legend + "</text>";
        out += '<g class="ggt-now"><line y1="' + CHART.top + '" y2="' + CHART.bottom +
          '" stroke="#7c3aed" stroke-width="1.5" stroke-dasharray="3 3"/>' +
          '<circle r="4.5" fill="' + TRAIN + '"/><circle r="4.5" fill="' + VALID + '"/></g>';
        el.innerHTML = out;
        el.dataset.top = String(top);
      }
      function drawCharts() {
        const losses = data.loss.concat(data.valLoss).filter((v) => v !== null);
        const top = losses.length ? Math.max.apply(null, losses) * 1.1 : 1;
        drawChart(lossChart, "loss", data.loss, data.valLoss, top, (v) => v.toPrecision(2));
        drawChart(accuracyChart, "accuracy", data.accuracy, data.valAccuracy, 1,
          (v) => (100 * v).toFixed(0) + "%");
      }
      function markCharts() {
        const T = totalEpochs();
        const x = CHART.left + ((CHART.right - CHART.left) * data.epochs[cur]) / T;
        for (const [el, train, valid] of [[lossChart, data.loss, data.valLoss],
                                          [accuracyChart, data.accuracy, data.valAccuracy]]) {
          const top = parseFloat(el.dataset.top);
          const now = el.querySelector(".ggt-now");
          const [line, dotTrain, dotValid] = now.children;
          line.setAttribute("x1", x.toFixed(1));
          line.setAttribute("x2", x.toFixed(1));
          for (const [dot, values] of [[dotTrain, train], [dotValid, valid]]) {
            const v = values[cur];
            dot.style.display = v === null || v === undefined ? "none" : "";
            if (v !== null && v !== undefined) {
              dot.setAttribute("cx", x.toFixed(1));
              dot.setAttribute("cy", (CHART.bottom - ((CHART.bottom - CHART.top) * v) / top).toFixed(1));
            }
          }
        }
      }

      // ----- showing an epoch, and the controls -----
      function count() {
        return data.epochs.length;
      }
      function show(s) {
        cur = Math.max(0, Math.min(count() - 1, s));
        const epoch = data.epochs[cur];
        const w = data.weights[cur];
        slider.max = String(count() - 1);
        slider.value = String(cur);
        epochText.textContent = "epoch " + epoch + " of " + totalEpochs();
        root.dataset.epoch = String(epoch);
        let text = "before training: the weights it starts from";
        if (data.loss[cur] !== null) {
          text = "loss " + data.loss[cur].toFixed(4) + " · accuracy " + percent(data.accuracy[cur]);
          if (data.valLoss[cur] !== null) {
            text += " · validation: loss " + data.valLoss[cur].toFixed(4) + ", accuracy " +
              percent(data.valAccuracy[cur]);
          }
        }
        numbers.textContent = text;
        drawNetwork(w);
        drawBoundary(w);
        markCharts();
        prev.disabled = cur === 0;
        next.disabled = cur === count() - 1;
      }
      function setPlaying(on) {
        playing = on;
        play.innerHTML = on ? "&#10074;&#10074; Pause" : "&#9654; Play";
        if (timer) clearInterval(timer);
        timer = null;
        if (on) {
          const delay = live ? 60 : Math.max(40, Math.min(200, 6000 / count()));
          timer = setInterval(tick, delay);
        }
      }
      function tick() {
        if (!root.isConnected) {
          clearInterval(timer); // the view was replaced (Jupyter): stop for good
          timer = null;
          return;
        }
        if (cur < count() - 1) show(cur + 1);
        else if (done) setPlaying(false);
      }
      function step(by) {
        setPlaying(false);
        show(cur + by);
      }
      play.addEventListener("click", () => {
        if (playing) {
          setPlaying(false);
        } else {
          if (done && cur >= count() - 1) show(0);
          setPlaying(true);
        }
      });
      prev.addEventListener("click", () => step(-1));
      next.addEventListener("click", () => step(1));
      slider.addEventListener("input", () => {
        setPlaying(false);
        show(parseInt(slider.value, 10));
      });
      function onKey(event) {
        if (event.key === "ArrowLeft") step(-1);
        else if (event.key === "ArrowRight") step(1);
        else if (event.key === "Home") step(-count());
        else if (event.key === "End") step(count());
        else if (event.key === " ") play.click();
        else return;
        event.preventDefault();
      }
      root.addEventListener("keydown", (event) => {
        if (event.target === slider && event.key !== " ") return; // the slider moves itself
        onKey(event);
      });
      // A page with one view: the keys work as soon as it is open, before any click.
      document.addEventListener("keydown", (event) => {
        const free = !document.activeElement || document.activeElement === document.body;
        if (free && root.isConnected && document.querySelectorAll(".gg-training").length === 1) {
          onKey(event);
        }
      });

      function setStatus() {
        status.textContent = live ? (done ? "training finished" : "training… (live)") : "";
      }
      function append(payload) {
        const from = data.epochs.length;
        const last = lastEpoch();
        payload.epochs.forEach((epoch, k) => {
          if (epoch <= last) return; // sent before
          for (const key of ["epochs", "weights", "loss", "accuracy", "valLoss", "valAccuracy"]) {
            data[key].push(payload[key][k]);
          }
        });
        if (payload.done) done = true;
        updateScale(from);
        drawCharts();
        setStatus();
        if (!playing) {
          slider.max = String(count() - 1);
          next.disabled = cur === count() - 1;
        }
        markCharts();
      }

      for (const el of [play, prev, next, slider]) el.disabled = false;
      root.classList.add("ggt-ready");
      updateScale(0);
      drawCharts();
      setStatus();
      show(live ? 0 : count() - 1);
      setPlaying(live);
      fitHeadings();
      window.addEventListener("resize", fitHeadings);
      apps[root.id] = { append: append };
    }

    return {
      forward: forward, // the tests compare it with the Python model
      start: start,
      push: function (id, payload) {
        const app = apps[id];
        if (app) app.append(payload);
      },
    };
  }
})();
