// The course's checks and solutions, folded as in JupyterLab: a notebook cell tagged
// "lesson-check" (asserts that the lesson's results hold) or "solution" (an exercise's answer)
// shows a one-line summary; a click on it unfolds the code. Without JavaScript they stay open.
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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fold);
  else fold();
})();
