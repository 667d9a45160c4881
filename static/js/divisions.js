// 活动地点: when a place's province (or 地市) changes, its 地市 (or 区县) list is replaced by the
// places under the new choice, read from the server (…/divisions/city/<code>/). Without this
// script the lists follow the choice after 保存草稿.
(function () {
  "use strict";

  function fill(select, options, blank) {
    select.replaceChildren();
    select.add(new Option(options.length ? blank : "—", ""));
    options.forEach(function (pair) { select.add(new Option(pair[1], pair[0])); });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-division][data-options]")) return;
    var row = select.closest("[data-place]");
    if (!row) return;
    var next = row.querySelector(
      select.dataset.division === "province" ? "select[data-division='city']" : "select[data-division='county']"
    );
    var county = row.querySelector("select[data-division='county']");
    if (!next) return;
    if (select.dataset.division === "province" && county) fill(county, [], "");
    if (!select.value) { fill(next, [], ""); return; }
    fetch(select.dataset.options + encodeURIComponent(select.value) + "/", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        fill(next, answer.options, next.dataset.blank || "请选择");
        // A municipality's only 地市 is itself: chosen at once, its 区 listed.
        if (answer.options.length === 1 && select.dataset.division === "province") {
          next.value = answer.options[0][0];
          next.dispatchEvent(new Event("change", { bubbles: true }));
        }
      })
      .catch(function () { /* the lists stay as they are; 保存草稿 refreshes them */ });
  });
})();
