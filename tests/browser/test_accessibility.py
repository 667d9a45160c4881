"""axe-core on every page of every role, on a desktop (1366×768) and a phone (390×844).

WCAG 2.1 A and AA rules (the level GB/T 37668-2019 asks of web content): no violation whose
impact is serious or critical. The axe-core build is vendored beside this file
(tests/browser/vendor/axe-core, its version and licence there), so the test needs no network.

"Every page": each item of the role's menus (read from the page, so a new menu item is
checked without editing this test) and the pages behind them that the menus do not reach: an
item page, an edit form, a confirmation page, the score sheet.
"""

import time
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.test_url_walk import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(call):
    """The URL walk's world (an item in each state, a person of each role), built for each test
    and committed: the live server reads it on connections of its own."""
    return build_world(call)


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

#: Rules left out, each with its reason. Keep this short.
EXCEPTIONS: dict[str, str] = {}

RUN_AXE = """async (disabled) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    rules,
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(0, 2).join(" ")),
      count: v.nodes.length,
    }));
}"""

NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"

#: What a page folds away (the list's 显示列) is checked open.
OPEN_DETAILS = "() => document.querySelectorAll('main details').forEach((d) => { d.open = true; })"

#: The menus' addresses, as the navigation bar offers them (dropdowns included).
MENU_LINKS = """() => Array.from(document.querySelectorAll("nav.navbar a[href^='/']"))
  .map((a) => a.getAttribute("href"))"""


def menu_pages(page, base: str) -> list[str]:
    page.goto(base + "/")
    seen = []
    for href in page.evaluate(MENU_LINKS):
        if href not in seen:
            seen.append(href)
    return seen


def extra_pages(role: str, ids: list[int]) -> list[str]:
    """The pages the menus do not reach: (submitted, funded, draft, draft assessment,
    assessment, ...) as tests.test_url_walk.world lists their ids."""
    submitted, funded, draft, draft_assessment, assessment = ids[:5]
    return {
        "anonymous": ["/login/", "/notice/", "/accounts/register/", "/accounts/password/reset/"],
        "unit": [
            f"/applications/{submitted}/",
            f"/applications/{draft}/edit/",
            f"/bases/assessments/{draft_assessment}/edit/",
            f"/bases/assessments/{assessment}/",
            "/notice/",
        ],
        "district": [
            f"/applications/{submitted}/",
            f"/reviews/{submitted}/accept/",
            f"/bases/assessments/{assessment}/",
        ],
        "commission": [],
        "bureau": [
            f"/applications/{funded}/",
            f"/reviews/{funded}/select_national/",
            "/reviews/?category=assessment",
            "/reviews/review-deadline/",
        ],
        "reviewer": [f"/reviews/mine/{funded}/"],
    }[role]


def check(page, url: str, found: dict) -> None:
    page.goto(url)
    page.evaluate(OPEN_DETAILS)
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.evaluate(NEXT_FRAME)  # the page's resize handlers have run
        for v in page.evaluate(RUN_AXE, list(EXCEPTIONS)):
            found.setdefault(f"{url} [{name}]", []).append(v)
        # Reflow (WCAG 1.4.10): the page itself never scrolls sideways; a wide table scrolls
        # in its own box.
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > size["width"]:
            found.setdefault(f"{url} [{name}]", []).append(
                {
                    "id": "page-scrolls-sideways",
                    "impact": "serious",
                    "count": 1,
                    "help": f"the page is {width} px wide",
                    "nodes": [],
                }
            )


@pytest.mark.parametrize(
    "role", ["anonymous", "unit", "district", "commission", "bureau", "reviewer"]
)
def test_no_serious_or_critical_violations(page, live_server, world, role):
    page.context.add_init_script(path=str(AXE))
    user = world["roles"][role]
    base = live_server.url
    if user is not None:
        log_in(page, live_server, user)
        urls = menu_pages(page, base)
    else:
        urls = []
    urls += [u for u in extra_pages(role, world["ids"]["pk"]) if u not in urls]
    started = time.monotonic()
    found: dict = {}
    for url in urls:
        check(page, base + url, found)
    elapsed = time.monotonic() - started
    print(f"{role}: {len(urls)} pages × 2 viewports in {elapsed:.1f} s")
    report = "\n".join(
        f"{where}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}\n    "
        + "\n    ".join(v["nodes"])
        for where, violations in found.items()
        for v in violations
    )
    assert found == {}, report
