"""In a real browser, desktop and phone: 提交申报 opens its confirmation page (the preview, the
destination, the 信用承诺), which refuses an unticked pledge with the error on the box; the
bureau's bulk decision warns about a disputed score before it acts."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications.models import Application
from reviews import scoring
from reviews.engine import workflow
from shanghai_experts.pledge import PLEDGE
from shanghai_experts.states import State
from tests.browser.conftest import log_in
from tests.factories import (
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1366, 390])
def test_submission_is_previewed_and_pledged(page, live_server, checkpoint, width):
    page.set_viewport_size({"width": width, "height": 900})
    CallFactory()
    unit = UnitFactory()
    user = UserFactory(organisation=unit)
    app = CompleteApplicationFactory(unit=unit, name="确认页服务团")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_label("服务团名称").fill("确认页上的服务团")
    page.get_by_test_id("submit").click()

    # The confirmation: the edit was saved first, the preview shows it and where it goes.
    expect(page.get_by_role("heading", name="确认提交申报")).to_be_visible()
    expect(page.get_by_test_id("submit-summary")).to_contain_text("确认页上的服务团")
    expect(page.get_by_test_id("destination")).to_have_text(str(unit.district))
    expect(page.get_by_text(PLEDGE)).to_be_visible()
    assert no_sideways_scroll(page)
    checkpoint(f"confirm-{width}")
    page.get_by_test_id("confirm").click()  # the pledge not ticked
    expect(page.locator("#pledge-error")).to_have_text("信用承诺：请阅读并勾选信用承诺后再提交。")
    assert Application.objects.get(pk=app.pk).state == State.DRAFT
    checkpoint(f"pledge-missing-{width}")
    page.get_by_label(PLEDGE).check()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("state")).to_have_text("已提交，待推荐单位受理")
    expect(page.get_by_test_id("history")).to_contain_text("已勾选信用承诺")
    assert Application.objects.get(pk=app.pk).name == "确认页上的服务团"


def test_bulk_decision_warns_about_a_disputed_score(page, live_server, checkpoint):
    call = CallFactory(applications_per_unit=5, recommender_quota=5)
    bureau = UserFactory(organisation=BureauFactory())
    apps = []
    for name, marks in (("意见一致服务团", ("0.8", "0.75")), ("分歧服务团", ("0.9", "0.3"))):
        app = CompleteApplicationFactory(call=call, name=name)
        district = UserFactory(organisation=app.recommender)
        workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
        workflow.transition(app, "accept", user=district)
        app = workflow.transition(app, "recommend", user=district, comment="同意")
        for share in marks:
            scoring.record_scores(
                app,
                reviewer=UserFactory(organisation=BureauFactory()),
                points={c.pk: Decimal(c.max_points) * Decimal(share) for c in call.criteria.all()},
            )
        apps.append(app)
    log_in(page, live_server, bureau)
    page.goto(f"{live_server.url}/reviews/")
    for app in apps:
        page.locator(f"input[name=selected][value='{app.pk}']").check()
    page.get_by_label("对所选项目（已推荐至市人社局）").select_option("select_municipal")
    page.get_by_role("button", name="执行").click()

    expect(page.get_by_test_id("cautions")).to_contain_text(
        "分歧服务团：评分分歧大（极差 60，超过 20）"
    )
    expect(page.get_by_test_id("bulk-items")).to_contain_text("意见一致服务团")
    checkpoint("bulk-confirm")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_text("已列入市级服务团 2 个项目。")).to_be_visible()
    assert set(Application.objects.values_list("state", flat=True)) == {State.MUNICIPAL_TEAM}
