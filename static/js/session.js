// The idle timeout, told in advance: a warning before the session ends, with 继续 to extend it.
// Typed work is kept by autosave.js; a logout clears this user's kept copies, and a save the
// server confirmed (cookie kept_copy_saved) clears the copy it saved.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.idleSeconds || "0", 10);
  if (!idle || !body.dataset.user) return;
  var warnBefore = Math.min(300, Math.floor(idle / 2));
  var warnTimer = null, endTimer = null;

  var banner = document.createElement("div");
  banner.className = "alert alert-warning shadow session-banner d-none";
  banner.setAttribute("role", "alert");
  banner.dataset.testid = "session-warning";
  banner.setAttribute("data-testid", "session-warning");
  var text = document.createElement("span");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-sm btn-primary ms-2";
  banner.appendChild(text);
  banner.appendChild(button);
  document.body.appendChild(banner);

  function show(message, label, action) {
    text.textContent = message;
    button.textContent = label;
    button.onclick = action;
    banner.classList.remove("d-none");
  }

  function hide() { banner.classList.add("d-none"); }

  function warn() {
    var minutes = Math.max(1, Math.round(warnBefore / 60));
    show("您已较长时间没有操作，约 " + minutes + " 分钟后将自动退出登录。", "继续", extend);
  }

  function expired() {
    show("会话已结束（长时间未操作）。未保存的内容保留在本浏览器中，重新登录后可恢复。", "重新登录",
      function () { window.location.href = body.dataset.login + "?next=" + encodeURIComponent(location.pathname); });
  }

  function restart() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    hide();
    warnTimer = setTimeout(warn, (idle - warnBefore) * 1000);
    endTimer = setTimeout(expired, idle * 1000);
  }

  function extend() {
    fetch(body.dataset.keepalive, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("json") < 0) throw new Error("expired");
        restart();
      })
      .catch(expired);
  }

  // Any request the page makes on its own (autosave) counts as activity on the server too.
  document.addEventListener("session:activity", restart);

  // Copies autosave.js kept of forms sent by a button, which the server has since saved
  // (shanghai_experts.http.confirm_kept_copy): nothing of them is unsaved any more.
  var saved = document.cookie.split("; ").filter(function (c) { return c.indexOf("kept_copy_saved=") === 0; });
  if (saved.length) {
    var tokens = saved[0].slice("kept_copy_saved=".length).split(".");
    var mine = "autosave:" + body.dataset.user + ":";
    Object.keys(localStorage).forEach(function (key) {
      if (key.indexOf(mine) !== 0) return;
      var copy;
      try { copy = JSON.parse(localStorage.getItem(key)); } catch (e) { return; }
      if (copy && copy.token && tokens.indexOf(copy.token) >= 0) localStorage.removeItem(key);
    });
    document.cookie = "kept_copy_saved=; Max-Age=0; path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }

  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      var prefix = "autosave:" + body.dataset.user + ":";
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(prefix) === 0) localStorage.removeItem(key);
      });
    });
  });

  restart();
})();
