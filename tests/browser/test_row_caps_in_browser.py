"""A row list's ＋ button stops at the list's cap (applications.forms.ROW_CAPS), where the
server would refuse the save, and comes back when a row is deleted."""

import pytest
from playwright.sync_api import expect

from applications.forms import ROW_CAPS
from tests.browser.conftest import log_in
from tests.factories import ApplicationFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_add_button_stops_at_the_cap(page, live_server):
    unit = UnitFactory()
    app = ApplicationFactory(call=CallFactory(), unit=unit)
    log_in(page, live_server, UserFactory(organisation=unit))
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    cap = ROW_CAPS["funding_sources"]
    formset = page.locator("[data-formset=funding_sources]")
    rows = formset.locator(".formset-rows > [data-row]")
    add = formset.locator("[data-add-row]")
    expect(rows).to_have_count(1)  # the blank row a new list starts with
    for _ in range(cap - 1):
        add.click()
    expect(rows).to_have_count(cap)
    expect(add).to_be_disabled()
    expect(add).to_have_text(f"已达上限（最多 {cap} 行）")
    rows.nth(0).locator("[data-remove-row]").click()
    expect(add).to_be_enabled()
    add.click()
    expect(rows).to_have_count(cap + 1)  # one of them marked 删除
    expect(add).to_be_disabled()
    page.get_by_role("button", name="保存草稿").click()
    # Blank rows are no rows: the save goes through, nothing refused for the count.
    expect(page.get_by_text("草稿已保存")).to_be_visible()
