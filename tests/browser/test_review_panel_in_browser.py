"""In a real browser: the bureau assigns two 评审专家; both declare and score; the bureau
decides and publishes. The unit sees nothing of it before publication, and the result after."""

import pytest
from playwright.sync_api import expect

from reviews.engine import workflow
from shanghai_experts.models import Organisation
from tests.browser.conftest import act, log_in
from tests.factories import (
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_panel_scores_then_the_bureau_publishes(page, live_server, checkpoint):
    call = CallFactory()
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    district = UserFactory(organisation=unit.district)
    bureau = UserFactory(organisation=BureauFactory())
    panel = Organisation.objects.create(kind="reviewers", name="评审专家组")
    experts = [
        UserFactory(organisation=panel, username=f"expert{n}", first_name=f"评审专家{n}")
        for n in (1, 2)
    ]
    app = CompleteApplicationFactory(call=call, unit=unit, name="专家组评审的服务团")
    workflow.transition(app, "submit", user=unit_user)
    workflow.transition(app, "accept", user=district)
    workflow.transition(app, "recommend", user=district, comment="同意推荐")

    log_in(page, live_server, bureau)
    page.get_by_role("link", name="评审分配").click()
    page.get_by_label("评审专家1").check()
    page.get_by_label("评审专家2").check()
    page.get_by_label(f"选择 {app.name}").check()
    page.get_by_role("button", name="分配", exact=True).click()
    expect(page.get_by_text("已分配 2 项评审任务。")).to_be_visible()
    checkpoint("bureau-assigned")

    for n, expert in enumerate(experts):
        log_in(page, live_server, expert)
        expect(page.get_by_test_id("my-reviews")).to_contain_text(app.name)
        page.get_by_role("link", name=app.name).click()
        page.get_by_role("button", name="声明无利益冲突，开始评分").click()
        for criterion in call.criteria.all():
            page.locator(f"[name=criterion-{criterion.pk}]").fill(str(8 + n))
        page.get_by_test_id("submit-sheet").click()
        expect(page.get_by_test_id("total")).to_have_text(f"{(8 + n) * 10}.00")
        page.get_by_test_id("confirm").click()
        expect(page.get_by_text("评分已提交。")).to_be_visible()
        checkpoint(f"expert{n + 1}-submitted")

    # Before publication the unit sees the item at the bureau, nothing more.
    log_in(page, live_server, bureau)
    page.goto(f"{live_server.url}{app.get_absolute_url()}")
    act(page, "select_municipal")
    expect(page.get_by_test_id("state")).to_have_text("列入市级服务团")
    log_in(page, live_server, unit_user)
    page.goto(f"{live_server.url}{app.get_absolute_url()}")
    expect(page.get_by_test_id("state")).to_have_text("已推荐至市人社局")
    expect(page.locator("body")).not_to_contain_text("评审专家1")
    checkpoint("unit-before")

    log_in(page, live_server, bureau)
    page.get_by_role("link", name="公布结果").click()
    expect(page.get_by_test_id("preview")).to_contain_text(app.name)
    checkpoint("bureau-preview")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_text("已公布市级评审结果")).to_be_visible()

    log_in(page, live_server, unit_user)
    page.goto(f"{live_server.url}{app.get_absolute_url()}")
    expect(page.get_by_test_id("state")).to_have_text("列入市级服务团")
    expect(page.get_by_test_id("history")).to_contain_text("公布结果")
    expect(page.locator("body")).not_to_contain_text("评审专家1")
    checkpoint("unit-after")
