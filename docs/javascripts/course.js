// The course pages, made easier to read; without JavaScript they work as they are.
// - Checks and solutions are folded, as in JupyterLab: a notebook cell tagged "lesson-check"
//   (asserts that the lesson's results hold) or "solution" (an exercise's answer) shows a
//   one-line summary; a click on it unfolds the code.
// - A picture drawn much wider than the column (a graph, a row of plots), whose text would be
//   too small to read, opens at full size on a click; a click or Escape closes it.
(function () {
  var summaries = {
    "celltag_lesson-check": "Lesson check (the asserts that test this lesson's results)",
    "celltag_solution": "Solution",
  };
  function fold() {
    Object.keys(summaries).forEach(function (tag) {
      document.querySelectorAll(".jp-Cell." + tag).forEach(function (cell) {
        var input = cell.querySelector(".jp-Cell-inputWrapper");
        if (!input || input.parentElement.tagName === "DETAILS") return;
        var details = document.createElement("details");
        details.className = "gg-folded";
        var summary = document.createElement("summary");
        summary.textContent = summaries[tag];
        input.replaceWith(details);
        details.append(summary, input);
      });
    });
  }
  function zoom(img) {
    var overlay = document.createElement("div");
    overlay.className = "gg-zoom";
    overlay.setAttribute("role", "dialog");
    overlay.title = "Click or press Escape to close";
    var full = document.createElement("img");
    full.src = img.src;
    full.alt = img.alt;
    overlay.appendChild(full);
    function close() {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
    }
    function onKey(event) { if (event.key === "Escape") close(); }
    overlay.addEventListener("click", close);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(overlay);
  }
  function zoomable() {
    document.querySelectorAll(".jp-OutputArea-output img").forEach(function (img) {
      function mark() {
        var shrunk = img.naturalWidth > 1.25 * img.clientWidth && img.clientWidth > 0;
        img.classList.toggle("gg-zoomable", shrunk);
        img.title = shrunk ? "Click to see it at full size" : "";
      }
      if (img.complete) mark();
      else img.addEventListener("load", mark);
      window.addEventListener("resize", mark);
      img.addEventListener("click", function () {
        if (img.classList.contains("gg-zoomable")) zoom(img);
      });
    });
  }
  function start() {
    fold();
    zoomable();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
