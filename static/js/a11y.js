// Keyboard access the markup alone does not give (tests/browser/test_accessibility.py and
// tests/browser/test_layout.py check both).
(function () {
  "use strict";

  // 1. A table wider than the screen scrolls in its own box (.table-responsive). A keyboard
  // user must be able to reach that box to scroll it (WCAG 2.1.1): while it overflows it is a
  // named, focusable region; when it fits again it leaves the Tab order.
  function updateScrollRegions() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          box.setAttribute("aria-label", "表格（可左右滚动）");
        }
        box.dataset.scrollRegion = "1";
      } else if (!overflows && box.dataset.scrollRegion) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(updateScrollRegions);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", updateScrollRegions);
  } else {
    updateScrollRegions();
  }

  // 2. A form's sticky save bar never covers the box that has the focus (WCAG 2.4.11). The
  // page's scroll-padding (static/css/site.css) handles a box the browser scrolls to; a tall
  // box (a text area) that is already partly in view is not scrolled by the browser, so it is
  // scrolled here until its bottom clears the bar, or its top reaches the top of the window.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    var form = target.closest ? target.closest("form") : null;
    var bar = form ? form.querySelector(".sticky-bottom") : null;
    if (!bar || bar.contains(target)) return;
    var box = target.getBoundingClientRect();
    var barTop = bar.getBoundingClientRect().top;
    var gap = 8;
    if (box.bottom + gap > barTop && box.top > 0) {
      window.scrollBy({ top: Math.min(box.bottom + gap - barTop, box.top), behavior: "instant" });
    }
  });
})();
