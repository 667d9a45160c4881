// Autosave of an edit page (附件1, 附件2, the rectification report).
//
// - Every change is kept at once in this browser (localStorage, per user and page), so nothing
//   typed is lost to a timeout, a crash or a closed tab; the copy is offered back on the next
//   visit ("恢复未保存的内容") and cleared by a save or a logout.
// - After a pause of 3 s, and at least every minute while changes wait, the form is sent
//   through the same versioned save as 保存草稿 (action=autosave). It never submits.
// - A button clicked while an autosave is on its way waits for it, and is sent with the version
//   that autosave returned: the page's own save never counts as someone else's.
// - A form sent by a button keeps its copy, marked with a token the server echoes once the save
//   succeeded (cookie kept_copy_saved, read by session.js): a page the server normalised
//   (8 → 8.0) is not mistaken for unsaved typing, and a refused or lost save keeps the copy.
// - A save refused because someone saved meanwhile pauses autosave and says so: nothing is
//   overwritten; the latest version can be loaded and the typing restored over it. A malformed
//   box is named; an expired login or page leads to where the copy is offered back.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var user = document.body.dataset.user;
  if (!form || !user) return;
  var key = "autosave:" + user + ":" + location.pathname;
  var url = form.getAttribute("action") || location.pathname;
  var status = document.querySelector("[data-autosave-status]");
  var dirty = false, paused = false, timer = null, lastSave = Date.now();
  var inflight = null;  // the autosave request on its way, if any (a promise)
  var waited = false;  // a button's click has waited for it once
  var edits = 0;  // changes so far: a save clears the copy only if nothing was typed meanwhile
  var base = null;  // the form as last saved from this page (set below, once the page is ready)
  var SKIP = /(^csrfmiddlewaretoken$|^version$|-id$|-INITIAL_FORMS$|-TOTAL_FORMS$|-MIN_NUM_FORMS$|-MAX_NUM_FORMS$|^action$|^kept_copy$)/;

  function say(message, tone, link, label) {
    if (!status) return;
    status.textContent = message;
    status.className = "small text-" + (tone || "muted");
    if (link) {
      var a = document.createElement("a");
      a.href = link; a.textContent = label; a.className = "ms-2 fw-bold";
      a.setAttribute("data-testid", "autosave-action");
      status.appendChild(a);
    }
  }

  function pairs() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") out.push([name, value]);
    });
    return out;
  }

  function keepLocal(token) {
    try {
      var copy = { at: Date.now(), data: pairs(), base: base };
      if (token) copy.token = token;
      localStorage.setItem(key, JSON.stringify(copy));
    } catch (e) { /* storage full or disabled: the server save still runs */ }
  }

  function clearLocal() { localStorage.removeItem(key); }

  function changed() {
    dirty = true;
    edits += 1;
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
    if (!dirty || inflight || paused) return inflight;
    var sent = edits, sentPairs = pairs();
    var data = new FormData(form);
    data.set("action", "autosave");
    inflight = fetch(url, {
      method: "POST", body: data, credentials: "same-origin", keepalive: !!onLeave,
      headers: { "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("json") < 0) throw new Error("not saved");
      return response.json();
    }).then(function (answer) {
      if (answer.status === "saved") {
        applySaved(answer);
        lastSave = Date.now();
        base = sentPairs;
        if (edits === sent) {
          dirty = false;
          clearLocal();
        } else {
          keepLocal();
          timer = setTimeout(save, 3000);  // typed while this was on its way: that is next
        }
        say("已自动保存 " + answer.saved_at, "success");
        document.dispatchEvent(new Event("session:activity"));
      } else if (answer.status === "conflict") {
        paused = true;
        say("本表已在别处保存过（另一个浏览器标签页、另一台电脑或同事），自动保存已暂停，以免覆盖。" +
          "您填写的内容保留在本浏览器中：载入最新版本后，可点击“恢复未保存的内容”换回。",
          "danger", location.pathname, "载入最新版本");
      } else if (answer.status === "login") {
        paused = true;
        say(answer.message, "warning", answer.login, "重新登录");
      } else if (answer.status === "expired") {
        paused = true;
        say(answer.message, "warning", answer.reload, "重新打开本页");
      } else if (answer.status === "unavailable") {
        say(answer.message + "填写的内容保留在本浏览器中，稍后自动重试。", "warning");
        clearTimeout(timer);
        timer = setTimeout(save, (answer.retry_after || 10) * 1000);
      } else {
        say(answer.message, "warning");
      }
    }).catch(function () {
      say("未能自动保存（网络中断或登录已过期）；填写的内容已保留在本浏览器中。", "warning");
    }).finally(function () { inflight = null; });
    return inflight;
  }

  function grouped(list) {
    var out = {};
    (list || []).forEach(function (pair) { (out[pair[0]] = out[pair[0]] || []).push(pair[1]); });
    return out;
  }

  // The copy carries the page as it was last saved from here (`base`): only what the clerk
  // changed since is put back, so what someone else saved meanwhile in other boxes stays.
  function restore(saved) {
    var values = grouped(saved.data), base = saved.base ? grouped(saved.base) : null;
    function mine(name) {
      return !base || JSON.stringify(values[name] || []) !== JSON.stringify(base[name] || []);
    }
    // Rows the copy has and the page lacks are added first, with the page's own button.
    form.querySelectorAll("[data-formset]").forEach(function (formset) {
      var prefix = formset.dataset.formset;
      var total = form.querySelector("[name='" + prefix + "-TOTAL_FORMS']");
      var wanted = 0;
      Object.keys(values).forEach(function (name) {
        var match = name.match(new RegExp("^" + prefix + "-(\\d+)-"));
        if (match && mine(name)) wanted = Math.max(wanted, parseInt(match[1], 10) + 1);
      });
      var add = formset.querySelector("[data-add-row]");
      while (add && total && parseInt(total.value, 10) < wanted) add.click();
    });
    Array.from(form.elements).forEach(function (el) {
      if (!el.name || SKIP.test(el.name) || !mine(el.name)) return;
      var wanted = values[el.name] || [];  // a box left unticked is absent from the copy
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = wanted.indexOf(el.value) >= 0;
      } else if (!(el.name in values)) {
        return;
      } else if (el.type !== "file" && el.type !== "submit" && el.type !== "button") {
        el.value = wanted[0];
      }
      el.dispatchEvent(new Event("change", { bubbles: true }));
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
    // A save refused as stale shows the typing again, unsaved: its copy stays for after 载入最新版本.
    if (form.hasAttribute("data-unsaved")) { paused = true; return; }
    if (!saved || !saved.data) return;
    if (same(saved)) { clearLocal(); return; }  // the page already holds it (it was saved)
    // The call is Shanghai's: the time is China's, whatever the computer's clock is set to.
    var when = new Intl.DateTimeFormat("zh-CN", {
      timeZone: "Asia/Shanghai", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(saved.at)).reduce(function (out, part) {
      out[part.type] = part.value; return out;
    }, {});
    var banner = document.createElement("div");
    banner.className = "alert alert-info d-flex flex-wrap align-items-center gap-2";
    banner.setAttribute("data-testid", "restore");
    var text = document.createElement("span");
    text.textContent = "本浏览器中有 " + when.month + "月" + when.day + "日 " + when.hour + ":" +
      when.minute + " 填写但未保存的内容。";
    var yes = document.createElement("button");
    yes.type = "button"; yes.className = "btn btn-sm btn-primary"; yes.textContent = "恢复未保存的内容";
    var no = document.createElement("button");
    no.type = "button"; no.className = "btn btn-sm btn-outline-secondary"; no.textContent = "丢弃";
    yes.onclick = function () { banner.remove(); restore(saved); };
    no.onclick = function () { banner.remove(); clearLocal(); };
    banner.appendChild(text); banner.appendChild(yes); banner.appendChild(no);
    form.parentNode.insertBefore(banner, form);
  }

  // A button (保存草稿, 提交) clicked while an autosave is on its way: wait for it, then send
  // the form with the version it returned. Registered on the document in the capture phase,
  // so it runs before forms.js locks the form against a second submission.
  document.addEventListener("submit", function (event) {
    if (event.target !== form) return;
    clearTimeout(timer);
    if (inflight && !waited) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      say("正在完成自动保存，随后继续…", "muted");
      // An autosave that hangs (a stalled network) holds the click back at most 15 s.
      Promise.race([inflight, new Promise(function (done) { setTimeout(done, 15000); })]).then(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
        waited = true;  // sent now, even if that autosave never answered
        if (submitter && submitter.form === form) form.requestSubmit(submitter);
        else form.requestSubmit();
      });
      return;
    }
    paused = true;
    // The copy stays until the server says this very submission was saved: if the session has
    // ended, the page that answers has no form, and the copy is what brings the typing back.
    var token = Array.from(crypto.getRandomValues(new Uint32Array(2)), function (n) {
      return n.toString(36).padStart(7, "0");
    }).join("");
    var field = form.querySelector("input[name=kept_copy]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden"; field.name = "kept_copy";
      form.appendChild(field);
    }
    field.value = token;
    keepLocal(token);
  }, true);

  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) { if (event.isTrusted) changed(); });
  setInterval(function () { if (dirty && Date.now() - lastSave >= 60000) save(); }, 5000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
  window.addEventListener("pagehide", function () { save(true); });
  base = pairs();
  offerRestore();
})();
