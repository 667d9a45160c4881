/* The bureau list's totals line: the page shows its 50 rows at once, then asks for the sums
   of every matching item (reviews:totals) and puts them in the line. Without JavaScript, or
   if the request fails, the line keeps its link to the same figures as a page. */
(function () {
  "use strict";
  var row = document.querySelector("tr[data-totals]");
  if (!row || !window.fetch) return;
  fetch(row.getAttribute("data-totals"), { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    })
    .then(function (html) {
      var holder = document.createElement("tbody");
      holder.innerHTML = html.trim();
      var line = holder.querySelector("tr[data-testid='totals']");
      if (!line) return;
      // One cell across the columns the user chose to show (reviews.columns).
      line.cells[0].colSpan = row.cells[0].colSpan;
      row.replaceWith(line);
    })
    .catch(function () { /* the link stays */ });
})();
