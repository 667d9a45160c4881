"""活动地点 in Chromium: the lists follow the choice above them, a municipality's only 地市 is
chosen at once, and the row fits a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ApplicationFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_lists_follow_the_choice_above(page, live_server, checkpoint, width):
    unit = UnitFactory()
    app = ApplicationFactory(call=CallFactory(), unit=unit)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, UserFactory(organisation=unit))
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    province = page.locator("[name=places-0-province_code]")
    city = page.locator("[name=places-0-city_code]")
    county = page.locator("[name=places-0-county_code]")
    province.select_option(label="上海市")
    # 上海市's only 地市 is itself: chosen at once, its 区 listed.
    expect(city).to_have_value("310000")
    expect(county.locator("option", has_text="浦东新区")).to_have_count(1)
    county.select_option(label="浦东新区")
    expect(page.locator("[data-count=counties]")).to_have_text("1")
    province.select_option(label="云南省")
    expect(city.locator("option", has_text="文山壮族苗族自治州")).to_have_count(1)
    expect(county.locator("option", has_text="浦东新区")).to_have_count(0)
    city.select_option(label="文山壮族苗族自治州")
    expect(county.locator("option", has_text="广南县")).to_have_count(1)
    county.select_option(label="广南县")
    page.locator("#sec-places").scroll_into_view_if_needed()
    checkpoint(f"places-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    place = app.places.get()
    assert (place.province_code, place.city_code, place.county_code) == (
        "530000",
        "532600",
        "532627",
    )
    assert str(place) == "云南省文山壮族苗族自治州广南县"
