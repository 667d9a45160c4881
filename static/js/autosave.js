// Autosave of an edit page (附件1, 附件2, the rectification report).
//
// - Every change is kept at once in this browser (localStorage, per user and page), so nothing
//   typed is lost to a timeout, a crash or a closed tab; the copy is offered back on the next
//   visit ("恢复未保存的内容") and cleared by a save or a logout.
// - After a pause of 3 s, and at least every minute while changes wait, the form is sent
//   through the same versioned save as 保存草稿 (action=autosave). It never submits.
// - A save refused because someone saved meanwhile pauses autosave and says so: nothing is
//   overwritten. A malformed box is named and the copy is kept locally.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var user = document.body.dataset.user;
  if (!form || !user) return;
  var key = "autosave:" + user + ":" + location.pathname;
  var url = form.getAttribute("action") || location.pathname;
  var status = document.querySelector("[data-autosave-status]");
  var dirty = false, saving = false, paused = false, timer = null, lastSave = Date.now();
  var SKIP = /(^csrfmiddlewaretoken$|^version$|-id$|-INITIAL_FORMS$|-TOTAL_FORMS$|-MIN_NUM_FORMS$|-MAX_NUM_FORMS$|^action$)/;

  function say(message, tone) {
    if (!status) return;
    status.textContent = message;
    status.className = "small text-" + (tone || "muted");
  }

  function pairs() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") out.push([name, value]);
    });
    return out;
  }

  function keepLocal() {
    try {
      localStorage.setItem(key, JSON.stringify({ at: Date.now(), data: pairs() }));
    } catch (e) { /* storage full or disabled: the server save still runs */ }
  }

  function clearLocal() { localStorage.removeItem(key); }

  function changed() {
    dirty = true;
    keepLocal();
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }

  function applySaved(answer) {
    var version = form.querySelector("[name=version]");
    if (version) version.value = answer.version;
    Object.keys(answer.rows || {}).forEach(function (prefix) {
      var ids = answer.rows[prefix], initial = 0;
      ids.forEach(function (id, index) {
        var input = form.querySelector("[name='" + prefix + "-" + index + "-id']");
        if (input) input.value = id === null ? "" : id;
        if (id !== null) initial = index + 1;
      });
      var initialForms = form.querySelector("[name='" + prefix + "-INITIAL_FORMS']");
      if (initialForms) initialForms.value = Math.max(initial, parseInt(initialForms.value, 10) || 0);
    });
  }

  function save(onLeave) {
    if (!dirty || saving || paused) return;
    saving = true;
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(url, {
      method: "POST", body: data, credentials: "same-origin", keepalive: !!onLeave,
      headers: { "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("json") < 0) throw new Error("not saved");
      return response.json();
    }).then(function (answer) {
      if (answer.status === "saved") {
        dirty = false;
        lastSave = Date.now();
        applySaved(answer);
        clearLocal();
        say("已自动保存 " + answer.saved_at, "success");
        document.dispatchEvent(new Event("session:activity"));
      } else if (answer.status === "conflict") {
        paused = true;
        say(answer.message, "danger");
      } else {
        say(answer.message, "warning");
      }
    }).catch(function () {
      say("未能自动保存（网络中断或登录已过期）；填写的内容已保留在本浏览器中。", "warning");
    }).finally(function () { saving = false; });
  }

  function restore(saved) {
    var values = {};
    saved.data.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    // Rows the copy has and the page lacks are added first, with the page's own button.
    form.querySelectorAll("[data-formset]").forEach(function (formset) {
      var prefix = formset.dataset.formset;
      var total = form.querySelector("[name='" + prefix + "-TOTAL_FORMS']");
      var wanted = 0;
      Object.keys(values).forEach(function (name) {
        var match = name.match(new RegExp("^" + prefix + "-(\\d+)-"));
        if (match) wanted = Math.max(wanted, parseInt(match[1], 10) + 1);
      });
      var add = formset.querySelector("[data-add-row]");
      while (add && total && parseInt(total.value, 10) < wanted) add.click();
    });
    Array.from(form.elements).forEach(function (el) {
      if (!el.name || SKIP.test(el.name) || !(el.name in values)) return;
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values[el.name].indexOf(el.value) >= 0;
      } else if (el.type !== "file" && el.type !== "submit" && el.type !== "button") {
        el.value = values[el.name][0];
      }
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    Array.from(form.elements).forEach(function (el) {
      if ((el.type === "checkbox") && el.name && !SKIP.test(el.name) && !(el.name in values)) {
        el.checked = false;  // a box left unticked is absent from the copy
      }
    });
    changed();
  }

  function same(saved) {
    var now = {}, then = {};
    pairs().forEach(function (p) { if (!SKIP.test(p[0])) (now[p[0]] = now[p[0]] || []).push(p[1]); });
    saved.data.forEach(function (p) { if (!SKIP.test(p[0])) (then[p[0]] = then[p[0]] || []).push(p[1]); });
    return JSON.stringify(now, Object.keys(now).sort()) === JSON.stringify(then, Object.keys(then).sort());
  }

  function offerRestore() {
    var saved;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.data) return;
    if (same(saved)) { clearLocal(); return; }  // the page already holds it (it was saved)
    var when = new Date(saved.at);
    var banner = document.createElement("div");
    banner.className = "alert alert-info d-flex flex-wrap align-items-center gap-2";
    banner.setAttribute("data-testid", "restore");
    var text = document.createElement("span");
    text.textContent = "本浏览器中有 " + when.getHours() + ":" + String(when.getMinutes()).padStart(2, "0") +
      " 填写但未保存的内容。";
    var yes = document.createElement("button");
    yes.type = "button"; yes.className = "btn btn-sm btn-primary"; yes.textContent = "恢复未保存的内容";
    var no = document.createElement("button");
    no.type = "button"; no.className = "btn btn-sm btn-outline-secondary"; no.textContent = "丢弃";
    yes.onclick = function () { banner.remove(); restore(saved); };
    no.onclick = function () { banner.remove(); clearLocal(); };
    banner.appendChild(text); banner.appendChild(yes); banner.appendChild(no);
    form.parentNode.insertBefore(banner, form);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) { if (event.isTrusted) changed(); });
  // A submit keeps the copy: if the session has ended, the page that answers has no form, and
  // the copy is what brings the typing back. The page after a good save matches it (above).
  form.addEventListener("submit", function () { clearTimeout(timer); paused = true; });
  setInterval(function () { if (dirty && Date.now() - lastSave >= 60000) save(); }, 5000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
  window.addEventListener("pagehide", function () { save(true); });
  offerRestore();
})();
