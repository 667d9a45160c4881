"""The offices' to-do counts on their home pages, at 1366 px and on a 390 px phone: every tile
is in view without sideways scrolling, and following one leads to a list of that many items."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shanghai_experts.models import Organisation
from tests.browser.conftest import log_in
from tests.factories import BureauFactory, CallFactory, DistrictFactory, UserFactory
from tests.test_first_visit import make_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Set LAYOUT_SHOTS to a folder to keep the screenshots for a look.
SHOTS = Path(os.environ["LAYOUT_SHOTS"]) if os.environ.get("LAYOUT_SHOTS") else None
SCREENS = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}


@pytest.mark.parametrize("screen", SCREENS)
def test_the_offices_home_pages_show_their_to_do_on_every_screen(browser, live_server, screen):
    call = CallFactory()
    BureauFactory()
    district = DistrictFactory()
    make_items(call, district, 1)
    viewport = SCREENS[screen]
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500)
    page = context.new_page()
    try:
        for who, keys in (
            ("bureau", ["assign", "decide", "mohrss", "registrations"]),
            ("district", ["registrations"]),
        ):
            org = district if who == "district" else Organisation.objects.get(kind="municipal")
            log_in(page, live_server, UserFactory(organisation=org))
            page.goto(f"{live_server.url}/")
            tiles = page.get_by_test_id("todo").locator("a")
            expect(tiles).to_have_count(len(keys))
            for tile in tiles.all():
                box = tile.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], who
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            if SHOTS:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"home-{who}-{screen}.png"), full_page=True)
            # The registrations tile's count is the number of rows the list it links to shows.
            first = page.get_by_test_id(f"todo-{keys[-1]}")
            count = int(first.get_by_test_id("todo-count").inner_text())
            first.click()
            expect(page.get_by_test_id("registration")).to_have_count(count)
    finally:
        context.close()
