"""What tells a clerk the next step: the reason of a return at the top of the page."""

from django.urls import reverse

from reviews import workflow

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory


def test_the_return_reason_is_at_the_top_of_the_units_pages(client, call):
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    app = workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )
    workflow.transition(
        app, "return", user=UserFactory(organisation=unit.district), comment="请补充第二位专家"
    )
    client.force_login(owner)
    for url in (app.get_absolute_url(), reverse("applications:edit", args=[app.pk])):
        page = client.get(url).content.decode()
        banner = page.split('data-testid="reason"')[1].split("</div>")[0]
        assert "推荐单位已退回修改：" in banner and "请补充第二位专家" in banner
        # Before the form itself, not at the bottom of the history.
        assert page.index('data-testid="reason"') < page.index("一、基本信息")
