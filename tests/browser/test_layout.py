"""Screens people actually have: a 1366×768 laptop and a 390×844 phone.

What is measured is what a person notices: a box that Tab moves to is in view (not under the
sticky save bar), the page never scrolls sideways, the bureau's list shows 状态 and 提交时间
without scrolling, a county name can be typed into a box of usable width.
"""

import pytest

from tests.browser.conftest import log_in
from tests.factories import (
    AssessmentFactory,
    BaseFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

#: Where the focused element is, and where the sticky save bar is, after each Tab.
FOCUS_AND_BAR = """() => {
  const el = document.activeElement;
  if (el === document.body || el === document.documentElement) return { repeat: true };
  // A date box takes three stops (year, month, day); a stop seen before, after others, means
  // Tab has gone round the page.
  if (el.dataset.tabSeen && window.lastTabStop !== el) return { repeat: true };
  el.dataset.tabSeen = "1";
  window.lastTabStop = el;
  const bar = document.querySelector("form .sticky-bottom");
  const r = el.getBoundingClientRect();
  const b = bar.getBoundingClientRect();
  return {
    name: el.name || el.id || el.textContent.trim().slice(0, 20) || el.tagName,
    inBar: bar.contains(el),
    top: r.top, bottom: r.bottom, barTop: b.top, height: window.innerHeight,
  };
}"""


def hidden_tab_stops(page, stops: int) -> tuple[int, list[str]]:
    """Press Tab `stops` times from the top of the page; the stops whose box is covered by the
    sticky save bar or lies below the window."""
    page.locator("main h1").first.click()
    hidden, seen = [], 0
    for _ in range(stops):
        page.keyboard.press("Tab")
        at = page.evaluate(FOCUS_AND_BAR)
        if at.get("repeat"):
            break  # round the page once
        seen += 1
        if not at["inBar"] and (at["bottom"] > at["barTop"] + 1 or at["top"] < 0):
            hidden.append(
                f"{at['name']} ({at['top']:.0f}–{at['bottom']:.0f}, bar {at['barTop']:.0f})"
            )
    return seen, hidden


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_no_tab_stop_lands_under_the_sticky_save_bar(page, live_server, viewport):
    call = CallFactory()
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    log_in(page, live_server, UserFactory(organisation=unit))
    page.set_viewport_size(viewport)
    page.emulate_media(reduced_motion="reduce")  # no smooth scrolling: measure where it ends
    for url in (f"/applications/{app.pk}/edit/", f"/bases/assessments/{assessment.pk}/edit/"):
        page.goto(live_server.url + url)
        seen, hidden = hidden_tab_stops(page, 400)
        assert seen > 30, url  # every box was reached
        assert hidden == [], url
