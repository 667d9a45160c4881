/* The running total of a 评审专家's score sheet: as points are typed, the weighted total shows
   beside the buttons. The rule is the server's (reviews.scoring.weighted_total):
       total = Σ (points / max × weight) / Σ weight × 100, exact, rounded half up to 0.01
   computed here in whole numbers (BigInt) from each box's data-weight and data-max, so the
   figure shown is the figure saved. Without JavaScript the page shows the saved sheet's total,
   rendered by the server. */
(function () {
  "use strict";
  // What the server accepts as points: digits with at most one decimal ("8", "8.5", ".5").
  var NUMBER = /^\+?(?:(\d+)(?:\.(\d)?)?|\.(\d))$/;

  function tenths(text) {
    var m = NUMBER.exec(String(text).trim());
    if (!m) return null;
    return BigInt(m[1] || "0") * 10n + BigInt(m[2] || m[3] || "0");
  }

  /* rows: [{points: "8.5", weight: 30, max: 10}, ...]; returns "85.00", or null when a value is
     not valid points for its criterion. */
  function total(rows) {
    var product = 1n, weights = 0n, i;
    for (i = 0; i < rows.length; i++) {
      product *= BigInt(rows[i].max);
      weights += BigInt(rows[i].weight);
    }
    if (product === 0n || weights === 0n) return null;
    var sum = 0n;
    for (i = 0; i < rows.length; i++) {
      var p = tenths(rows[i].points), max = BigInt(rows[i].max);
      if (p === null || p > max * 10n) return null;
      sum += p * BigInt(rows[i].weight) * (product / max);
    }
    // hundredths = floor(sum × 1000 / (product × weights) + 1/2)
    var hundredths = (2n * sum * 1000n + product * weights) / (2n * product * weights);
    var cents = String(hundredths % 100n);
    return String(hundredths / 100n) + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  window.scoreSheetTotal = total;

  var form = document.querySelector("form[data-score-sheet]");
  if (!form) return;
  var shown = form.querySelector("[data-score-total]");
  var note = form.querySelector("[data-score-note]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-weight]"));

  function update() {
    var empty = 0, wrong = [];
    var rows = boxes.map(function (box) {
      var text = box.value.trim();
      if (!text) empty += 1;
      else if (tenths(text) === null || tenths(text) > BigInt(box.getAttribute("data-max")) * 10n)
        wrong.push(box.getAttribute("data-name"));
      return { points: text || "0", weight: box.getAttribute("data-weight"), max: box.getAttribute("data-max") };
    });
    if (wrong.length) {
      shown.textContent = "—";
      note.textContent = "请检查：" + wrong.join("、") + "（0 到满分，最多 1 位小数）";
      return;
    }
    if (empty === boxes.length) {
      shown.textContent = "—";
      note.textContent = "各项填写后显示";
      return;
    }
    shown.textContent = total(rows) || "—";
    note.textContent = empty ? "另有 " + empty + " 项未填，暂按 0 分计" : "";
  }

  boxes.forEach(function (box) { box.addEventListener("input", update); });
})();
