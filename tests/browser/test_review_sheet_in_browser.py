"""In a real browser: a 评审专家 reads the application beside the score sheet on a wide screen
(stacked on a phone), and the running total is what the server saves."""

import random
import types
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from reviews import reviewers, scoring
from reviews.engine import workflow
from reviews.models import ReviewAssignment, ScoreSheet, ScoringCriterion
from shanghai_experts.models import Organisation
from tests.browser.conftest import log_in
from tests.factories import (
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def declared_item():
    """An item assigned to one 评审专家 who has declared no conflict; returns (app, expert)."""
    call = CallFactory()
    unit = UnitFactory()
    district = UserFactory(organisation=unit.district)
    bureau = UserFactory(organisation=BureauFactory())
    panel = Organisation.objects.create(kind="reviewers", name="评审专家组")
    expert = UserFactory(organisation=panel, username="expert1", first_name="评审专家1")
    app = CompleteApplicationFactory(call=call, unit=unit, name="并排评审的服务团")
    workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    workflow.transition(app, "accept", user=district)
    app = workflow.transition(app, "recommend", user=district, comment="同意推荐")
    reviewers.assign([app], [expert], user=bureau)
    reviewers.declare(ReviewAssignment.objects.get(application=app), user=expert, recuse=False)
    return app, expert


def box(page, testid):
    return page.get_by_test_id(testid).bounding_box()


def no_sideways_scroll(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_sheet_sits_beside_the_application_at_1366_and_below_it_on_a_phone(
    page, live_server, checkpoint, page_errors
):
    app, expert = declared_item()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, expert)
    page.goto(f"{live_server.url}/reviews/mine/{app.pk}/")
    expect(page.get_by_test_id("my-sheet")).to_be_visible()
    form, sheet = box(page, "application-pane"), box(page, "sheet-pane")
    # Side by side: the sheet starts right of the application, at the same height.
    assert sheet["x"] >= form["x"] + form["width"]
    assert abs(sheet["y"] - form["y"]) < 2
    assert form["width"] > sheet["width"] > 400
    assert no_sideways_scroll(page)
    checkpoint("review-1366")
    # Each scrolls on its own: the application with the page, the sheet held in view.
    page.mouse.move(form["x"] + 100, 400)
    page.mouse.wheel(0, 700)
    for _ in range(50):  # the smooth scroll settles
        if page.evaluate("window.scrollY") >= 700:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    form, sheet = box(page, "application-pane"), box(page, "sheet-pane")
    assert form["y"] < -400  # the application has moved up with the page
    assert 0 <= sheet["y"] < 20 and sheet["y"] + sheet["height"] <= 768
    expect(page.get_by_test_id("submit-sheet")).to_be_in_viewport()
    expect(page.get_by_test_id("running-total")).to_be_in_viewport()
    checkpoint("review-1366-scrolled")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    form, sheet = box(page, "application-pane"), box(page, "sheet-pane")
    assert sheet["y"] >= form["y"] + form["height"]  # stacked, the sheet after the form
    assert no_sideways_scroll(page)
    page.get_by_role("link", name="跳到我的评分 ↓").click()
    expect(page.get_by_test_id("my-sheet")).to_be_in_viewport()
    checkpoint("review-390")
    assert page_errors == []


def test_the_running_total_is_the_total_the_server_saves(page, live_server, page_errors):
    app, expert = declared_item()
    criteria = list(app.call.criteria.all())
    # Awkward maxima, so that a total is a repeating decimal before rounding.
    for criterion, (weight, top) in zip(criteria, [(35, 7), (25, 3), (40, 9)], strict=False):
        ScoringCriterion.objects.filter(pk=criterion.pk).update(weight=weight, max_points=top)
    criteria = list(app.call.criteria.all())
    log_in(page, live_server, expert)
    page.goto(f"{live_server.url}/reviews/mine/{app.pk}/")
    total = page.get_by_test_id("running-total")
    expect(total).to_have_text("—")

    typed = {}
    for n, criterion in enumerate(criteria):
        value = str(min(criterion.max_points, Decimal(n + 1) + Decimal("0.5")))
        page.locator(f"[name=criterion-{criterion.pk}]").fill(value)
        typed[criterion.pk] = Decimal(value)
        if n == 0 and len(criteria) > 1:
            expect(
                page.get_by_text(f"另有 {len(criteria) - 1} 项未填，暂按 0 分计")
            ).to_be_visible()
    expected = scoring.weighted_total(criteria, typed)
    expect(total).to_have_text(str(expected))
    shown = total.text_content()

    # A value out of range: no total, and the criterion named.
    first = page.locator(f"[name=criterion-{criteria[0].pk}]")
    first.fill("99")
    expect(total).to_have_text("—")
    expect(page.get_by_text(f"请检查：{criteria[0].name}")).to_be_visible()
    first.fill(str(typed[criteria[0].pk]))
    expect(total).to_have_text(shown)

    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("评分草稿已保存")).to_be_visible()
    saved = ScoreSheet.objects.get(application=app, reviewer=expert)
    assert str(saved.total) == shown
    # The server renders the saved sheet's total where the script wrote it.
    expect(page.get_by_test_id("running-total")).to_have_text(shown)

    # The same rule on many sheets: the page's script against the server's function.
    rng = random.Random(23)
    for _ in range(300):
        rows, fake, points = [], [], {}
        for pk in range(rng.randint(1, 5)):
            top, weight = rng.choice([3, 7, 9, 10, 20, 30]), rng.randint(1, 60)
            value = Decimal(rng.randint(0, top * 10)) / 10
            rows.append({"points": str(value), "weight": weight, "max": top})
            fake.append(types.SimpleNamespace(pk=pk, weight=weight, max_points=top))
            points[pk] = value
        script = page.evaluate("rows => window.scoreSheetTotal(rows)", rows)
        assert script == str(scoring.weighted_total(fake, points)), rows
    assert page_errors == []
