"""The 统计 page draws a chart per block, under the CSP, with no console errors."""

import pytest
from playwright.sync_api import expect

from reviews import workflow
from tests.browser.conftest import log_in
from tests.factories import (
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_chart_renders_without_errors(page, live_server, checkpoint):
    CallFactory()
    unit = UnitFactory()
    app = CompleteApplicationFactory(unit=unit)
    workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server, UserFactory(organisation=BureauFactory()))
    page.get_by_role("link", name="统计").click()
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_visible()
    count = charts.count()
    assert count >= 10
    expect(page.locator("[data-chart] svg")).to_have_count(count)
    checkpoint("statistics")
    assert problems == []
