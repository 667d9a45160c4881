"""Every box of the 附件1 and 附件2 edit pages has its own accessible name, and the page's
section navigation and error summary lead to the boxes."""

import pytest
from playwright.sync_api import expect

from reviews import reviewers
from reviews.engine import workflow
from shanghai_experts.models import Organisation
from tests.browser.conftest import log_in
from tests.factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = """() => {
  const textOf = (el) => (el ? el.textContent.replace(/\\s+/g, " ").trim() : "");
  return Array.from(document.querySelectorAll("main input, main select, main textarea"))
    .filter((el) => el.type !== "hidden" && el.offsetParent !== null)
    .map((el) => {
      let name = el.getAttribute("aria-label") || "";
      if (!name && el.id) name = textOf(document.querySelector(`label[for="${el.id}"]`));
      if (!name) name = textOf(el.closest("label"));
      return { field: el.name || el.id || el.outerHTML.slice(0, 120), name };
    });
}"""


def assert_names_unique(page):
    names = page.evaluate(NAMES)
    assert names, "no inputs found"
    empty = [n["field"] for n in names if not n["name"]]
    assert empty == []
    seen = {}
    for n in names:
        seen.setdefault(n["name"], []).append(n["field"])
    repeated = {name: fields for name, fields in seen.items() if len(fields) > 1}
    assert repeated == {}


def test_every_box_of_the_application_form_has_its_own_name(page, live_server):
    call = CallFactory()
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    log_in(page, live_server, UserFactory(organisation=unit))
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_role("button", name="添加专家").click()
    assert_names_unique(page)
    expect(page.get_by_test_id("sections")).to_contain_text("一、基本信息")

    # An incomplete form: the summary links to the box, which gets the focus.
    page.get_by_label("服务团名称").fill("")
    page.get_by_test_id("submit").click()
    link = page.get_by_test_id("error-summary").get_by_role("link").first
    expect(link).to_contain_text("服务团名称")
    link.click()
    expect(page.get_by_label("服务团名称")).to_be_focused()


def test_every_box_of_the_assessment_form_has_its_own_name(page, live_server):
    call = CallFactory()
    unit = UnitFactory()
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    log_in(page, live_server, UserFactory(organisation=unit))
    page.goto(f"{live_server.url}/bases/assessments/{assessment.pk}/edit/")
    assert_names_unique(page)


def test_lists_on_a_phone_keep_the_state_in_view(browser, live_server):
    call = CallFactory()
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    app = CompleteApplicationFactory(call=call, unit=unit, name="手机上看的很长很长的服务团名称")
    workflow.transition(app, "submit", user=owner)
    AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    panel = Organisation.objects.create(kind="reviewers", name="评审专家组")
    expert = UserFactory(organisation=panel)
    district = UserFactory(organisation=unit.district)
    workflow.transition(app, "accept", user=district)
    app = workflow.transition(app, "recommend", user=district, comment="同意")
    bureau = UserFactory(organisation=BureauFactory())
    reviewers.assign([app], [expert], user=bureau)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        pages = (
            (owner, "/"),
            (owner, "/bases/"),
            (district, "/reviews/"),
            (bureau, "/reviews/"),
            (bureau, "/bases/"),
            (expert, "/reviews/mine/"),
        )
        for user, path in pages:
            log_in(page, live_server, user)
            page.goto(f"{live_server.url}{path}")
            badge = page.locator("td.col-state .badge").first
            expect(badge).to_be_visible()
            box = badge.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            name = page.locator("td.col-name").first.bounding_box()
            assert name["width"] >= 100, name  # names are not squeezed to a character a line
    finally:
        context.close()
