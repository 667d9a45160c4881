// Behaviour of the application forms: row lists, counters, and one submission per click.
(function () {
  "use strict";

  // Count characters as a reader does: no surrounding whitespace, no line breaks.
  function readerLength(text) {
    var normalized = (text || "").normalize("NFC").trim();
    return Array.from(normalized).filter(function (ch) {
      return ch !== "\n" && ch !== "\r" && ch !== "\u2028" && ch !== "\u2029";
    }).length;
  }

  function liveRows(formset) {
    return Array.from(formset.querySelectorAll(".formset-rows > [data-row]")).filter(function (row) {
      var del = row.querySelector("input[name$='-DELETE']");
      return !(del && del.checked);
    });
  }

  function value(row, suffix) {
    var input = row.querySelector("[name$='-" + suffix + "']");
    return input ? input.value.trim() : "";
  }

  function refreshPlaceCounts() {
    var formset = document.querySelector("[data-formset='places']");
    if (!formset) return;
    var cities = new Set(), counties = new Set();
    liveRows(formset).forEach(function (row) {
      // A level picked from the list counts by its code (as Application.place_counts).
      var p = value(row, "province_code") || value(row, "province");
      var c = value(row, "city_code") || value(row, "city");
      var k = value(row, "county_code") || value(row, "county");
      if (c) cities.add(p + "|" + c);
      if (k) counties.add(p + "|" + c + "|" + k);
    });
    var cityOut = document.querySelector("[data-count='cities']");
    var countyOut = document.querySelector("[data-count='counties']");
    if (cityOut) cityOut.textContent = cities.size;
    if (countyOut) countyOut.textContent = counties.size;
  }

  function refreshSums() {
    document.querySelectorAll("[data-sum]").forEach(function (out) {
      var formset = document.querySelector("[data-formset='" + out.dataset.sum + "']");
      if (!formset) return;
      var cents = 0;
      liveRows(formset).forEach(function (row) {
        var n = parseFloat(value(row, "amount"));
        if (!isNaN(n)) cents += Math.round(n * 100);
      });
      out.textContent = (cents / 100).toString();
    });
  }

  function refreshAll() { refreshPlaceCounts(); refreshSums(); }

  document.querySelectorAll("[data-formset]").forEach(function (formset) {
    var prefix = formset.dataset.formset;
    var total = formset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = formset.querySelector("template.formset-empty");
    var rows = formset.querySelector(".formset-rows");
    var addButton = formset.querySelector("[data-add-row]");
    var maxRows = parseInt(addButton.dataset.maxRows, 10);
    var addLabel = addButton.textContent;
    // The server refuses a list longer than its cap; the button stops there first, so a clerk
    // never types a row that cannot be saved.
    function refreshAddButton() {
      if (isNaN(maxRows)) return;
      var full = liveRows(formset).length >= maxRows;
      addButton.disabled = full;
      addButton.textContent = full ? "已达上限（最多 " + maxRows + " 行）" : addLabel;
    }
    refreshAddButton();
    addButton.addEventListener("click", function () {
      if (addButton.disabled) return;
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index))
        .replace(/__row__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var added = rows.lastElementChild;
      var first = added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      refreshAddButton();
    });
    formset.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) return;
      var row = button.closest("[data-row]");
      var del = row.querySelector("input[name$='-DELETE']");
      if (del) del.checked = !del.checked;
      var removed = del && del.checked;
      row.classList.toggle("deleted", removed);
      button.textContent = removed ? "撤销删除" : "删除此行";
      row.querySelectorAll("input:not([type=hidden]):not([name$='-DELETE']), select, textarea")
        .forEach(function (el) { el.readOnly = removed; });
      refreshAll();
      refreshAddButton();
    });
    formset.addEventListener("input", refreshAll);
  });

  document.querySelectorAll("textarea[data-limit]").forEach(function (area) {
    var limit = parseInt(area.dataset.limit, 10);
    var out = document.createElement("div");
    out.className = "form-text char-count";
    out.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", out);
    function update() {
      var n = readerLength(area.value);
      out.textContent = "已输入 " + n + " 字，限 " + limit + " 字";
      out.classList.toggle("over", n > limit);
    }
    area.addEventListener("input", update);
    update();
  });

  var baseChoice = document.querySelectorAll("input[name='relies_on_base_choice']");
  function refreshBase() {
    var checked = document.querySelector("input[name='relies_on_base_choice']:checked");
    var show = checked && checked.value === "yes";
    document.querySelectorAll("[data-base-detail]").forEach(function (el) {
      el.classList.toggle("d-none", !show);
    });
  }
  baseChoice.forEach(function (el) { el.addEventListener("change", refreshBase); });
  if (baseChoice.length) refreshBase();

  // 市人社局 as recommender only while a 领衔专家 with 享受政府特殊津贴 is ticked.
  function refreshDirectRoute() {
    var option = document.querySelector("option[data-special-allowance-only]");
    var experts = document.querySelector("[data-formset='experts']");
    if (!option || !experts) return;
    var led = liveRows(experts).some(function (row) {
      var leader = row.querySelector("input[name$='-is_leader']");
      var allowance = row.querySelector("input[name$='-talents'][value='special_allowance']");
      return leader && leader.checked && allowance && allowance.checked;
    });
    option.disabled = !led;
    var select = option.closest("select");
    var hint = document.getElementById("direct-route-hint");
    if (!hint) {
      hint = document.createElement("div");
      hint.id = "direct-route-hint";
      hint.className = "form-text";
      select.insertAdjacentElement("afterend", hint);
    }
    hint.textContent = led
      ? "领衔专家享受政府特殊津贴，可直接报市人社局。"
      : "直接报市人社局须由享受政府特殊津贴的专家领衔：请在专家名单中为领衔专家勾选“享受政府特殊津贴”。";
    if (!led && option.selected) select.value = "";
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name$='-is_leader'], input[name$='-talents']")) {
      refreshDirectRoute();
    }
  });
  refreshDirectRoute();

  // The error summary lists its lines in the order of the boxes on the page (the server groups
  // them by kind: the main boxes, then each list of rows); a line about no box stays last.
  document.querySelectorAll("[data-testid=error-summary] ul").forEach(function (list) {
    var items = Array.from(list.children);
    function box(item) {
      var link = item.querySelector("[data-focus]");
      return link ? document.getElementById(link.dataset.focus) : null;
    }
    items.map(function (item, index) { return { item: item, box: box(item), index: index }; })
      .sort(function (a, b) {
        if (a.box && b.box && a.box !== b.box) {
          return a.box.compareDocumentPosition(b.box) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
        }
        if (!a.box !== !b.box) return a.box ? -1 : 1;
        return a.index - b.index;
      })
      .forEach(function (entry) { list.appendChild(entry.item); });
  });

  // The error summary's links put the cursor in the box they name.
  document.querySelectorAll("[data-focus]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.dataset.focus);
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      var box = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      if (box) box.focus();
    });
  });

  // One submission per click: a double click must not send the form twice.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      // A download leaves the page where it is and may be repeated: nothing to lock.
      if (event.submitter && event.submitter.hasAttribute("data-download")) return;
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        var keep = document.createElement("input");
        keep.type = "hidden"; keep.name = submitter.name; keep.value = submitter.value;
        form.appendChild(keep);
      }
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });

  refreshAll();
})();

// Ranking: move an item up or down; the hidden inputs carry the order.
(function () {
  "use strict";
  var list = document.getElementById("ranking");
  if (!list) return;
  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) return;
    var item = button.closest("[data-rank-item]");
    if (button.dataset.move === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
  });
})();
