// The progress page of a background job: asks its status every 1.5 s and moves the bar; when
// the file is ready, shows the download button (and never reloads the page). Without
// JavaScript the page refreshes itself (a <noscript> refresh), so it works either way.
(function () {
  "use strict";
  var box = document.querySelector("[data-job]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-job-bar]");
  var fill = bar.querySelector(".progress-bar");
  var state = box.querySelector("[data-job-state]");
  var count = box.querySelector("[data-job-count]");
  var done = box.querySelector("[data-job-done]");
  var error = box.querySelector("[data-job-error]");
  var wait = box.querySelector("[data-job-wait]");

  // Started from a page's button: the file downloads by itself once, when ready (a reload
  // or a later visit does not download it again).
  var once = "job-downloaded-" + box.getAttribute("data-job-id");
  function autodownload(href) {
    if (!box.hasAttribute("data-autodownload") || !href) return;
    try {
      if (window.sessionStorage.getItem(once)) return;
      window.sessionStorage.setItem(once, "1");
    } catch (e) {
      /* storage refused: download anyway */
    }
    window.location.assign(href);
  }

  function show(s) {
    state.textContent = s.state_label;
    count.textContent = s.total ? "已完成 " + s.done + " / " + s.total + " 份" : "";
    bar.setAttribute("aria-valuenow", String(s.percent));
    fill.style.width = s.percent + "%";
    fill.textContent = s.percent + "%";
    if (s.finished) {
      fill.classList.remove("progress-bar-striped", "progress-bar-animated");
      if (wait) wait.hidden = true;
    }
    if (s.state === "done") {
      done.hidden = false;
      autodownload(s.download);
    }
    if (s.state === "failed") {
      fill.classList.add("bg-danger");
      error.firstChild.textContent = (s.error || "生成失败。") + " ";
      error.hidden = false;
    }
    if (s.state === "expired") window.location.reload();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (s) {
        show(s);
        if (!s.finished) window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // a lost connection: try again, more slowly
      });
  }
  if (!done.hidden) {
    autodownload(box.querySelector("[data-job-download]").getAttribute("href"));
    return;
  }
  if (!error.hidden) return;
  window.setTimeout(poll, 800);
})();
