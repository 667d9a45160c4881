"""Screens people actually have: a 1366×768 laptop and a 390×844 phone.

What is measured is what a person notices: a box that Tab moves to is in view (not under the
sticky save bar), the page never scrolls sideways, the bureau's list shows 状态 and 提交时间
without scrolling, a county name can be typed into a box of usable width.
"""

import os
from pathlib import Path

import pytest

from reviews.engine import workflow
from tests.browser.conftest import log_in
from tests.factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Set LAYOUT_SHOTS to a folder to keep the screenshots of the layouts for a look.
SHOTS = Path(os.environ["LAYOUT_SHOTS"]) if os.environ.get("LAYOUT_SHOTS") else None


def shot(page, name: str, part: str = "") -> None:
    if SHOTS:
        target = page.locator(part).first if part else page
        target.screenshot(path=str(SHOTS / f"{name}.png"), **({} if part else {"full_page": True}))


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


NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def bureau_with_a_full_list():
    """Three teams recommended to the bureau, with names as long as real ones."""

    call = CallFactory()
    for n, district_name in enumerate(
        (
            "上海市浦东新区人力资源和社会保障局",
            "上海市闵行区人力资源和社会保障局",
            "上海市崇明区人力资源和社会保障局",
        )
    ):
        district = DistrictFactory(name=district_name)
        unit = UnitFactory(district=district, name=f"上海交通大学医学院附属瑞金医院第{n}分院")
        app = CompleteApplicationFactory(
            call=call, unit=unit, name=f"长三角乡村振兴中医药与慢病管理专家服务团（第{n}团）"
        )
        app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
        officer = UserFactory(organisation=district)
        app = workflow.transition(app, "accept", user=officer)
        workflow.transition(app, "recommend", user=officer, comment="同意推荐")
    bureau_with_a_full_list.officer = officer  # the last district's, whose list has a row
    return UserFactory(organisation=BureauFactory())


def assert_fits(page, width: int):
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(
        "() => document.documentElement.scrollWidth"
    )
    badge = page.locator("td.col-state .badge").first
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_the_bureaus_list_fits_a_laptop_and_remembers_further_columns(
    page, live_server, checkpoint
):
    bureau = bureau_with_a_full_list()
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, bureau)
    page.goto(f"{live_server.url}/reviews/")
    table = page.get_by_test_id("queue")
    shot(page, "bureau-list-1366")
    assert_fits(page, DESKTOP["width"])
    # The whole table is on screen: no column scrolled out of its box.
    assert page.evaluate(
        "() => { const b = document.querySelector('.table-responsive');"
        " return b.scrollWidth <= b.clientWidth; }"
    )
    for header in ("状态", "提交时间", "推荐单位", "均分"):
        box = table.locator("thead th", has_text=header).bounding_box()
        assert box["x"] + box["width"] <= DESKTOP["width"], header
    checkpoint("bureau-list-1366")
    # The district's list, with fewer columns, fits too.
    log_in(page, live_server, bureau_with_a_full_list.officer)
    page.goto(f"{live_server.url}/reviews/")
    assert_fits(page, DESKTOP["width"])
    assert page.evaluate(
        "() => { const b = document.querySelector('.table-responsive');"
        " return b.scrollWidth <= b.clientWidth; }"
    )
    log_in(page, live_server, bureau)
    page.goto(f"{live_server.url}/reviews/")

    # Further columns, chosen once, are there on the next visit.
    page.get_by_test_id("column-chooser").locator("summary").click()
    page.get_by_label("领衔专家").check()
    page.get_by_label("资助经费").check()
    page.get_by_role("button", name="应用").click()
    log_in(page, live_server, bureau)
    page.goto(f"{live_server.url}/reviews/")
    headers = page.get_by_test_id("queue").locator("thead th").all_inner_texts()
    assert "领衔专家" in headers and "资助经费" in headers
    assert page.evaluate(NO_SIDEWAYS_SCROLL)  # a wider table scrolls in its own box
    page.get_by_test_id("column-chooser").locator("summary").click()
    page.get_by_role("button", name="恢复默认").click()
    headers = page.get_by_test_id("queue").locator("thead th").all_inner_texts()
    assert "领衔专家" not in headers and headers[-2:] == ["提交时间", "状态"]


def test_the_bureaus_list_on_a_phone(browser, live_server):
    bureau = bureau_with_a_full_list()
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server, bureau)
        page.goto(f"{live_server.url}/reviews/")
        assert_fits(page, PHONE["width"])
        # Scrolled to its end, the table's last columns are readable: the state, kept in view
        # at the right edge, is the last column and covers none.
        page.evaluate(
            "() => { const b = document.querySelector('.table-responsive'); b.scrollLeft = b.scrollWidth; }"
        )
        state = page.locator("td.col-state").first.bounding_box()
        submitted = page.locator("tbody tr").first.locator("td").nth(-2).bounding_box()
        assert submitted["x"] + submitted["width"] <= state["x"] + 1
        shot(page, "bureau-list-390")
    finally:
        context.close()


def test_the_assistance_grid_on_a_phone_gives_the_county_box_room(browser, live_server):
    call = CallFactory()
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server, UserFactory(organisation=unit))
        page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        for name in ("cross_key_counties", "local_other_counties"):
            box = page.locator(f"[name={name}]").bounding_box()
            assert box["width"] >= 250, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
        shot(page, "assistance-390", ".assist-grid")
    finally:
        context.close()
