"""Error summaries name every box as the page does, once, and never as "None" (issue 24)."""

import re

import pytest
from django.urls import reverse

from .factories import ApplicationFactory, AssessmentFactory, UnitFactory, UserFactory
from .forms_data import form_data


def summary(response) -> list[str]:
    block = re.search(r'data-testid="error-summary">(.*?)</div>', response.content.decode(), re.S)
    return [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", block.group(1))]


@pytest.fixture
def draft(call):
    unit = UnitFactory()
    return ApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


@pytest.mark.django_db
def test_boxes_labelled_alike_are_told_apart_and_hidden_boxes_named(client, draft):
    app, user = draft
    client.force_login(user)
    data = form_data(app, version="", cross_key_counties="县" * 301, local_key_counties="县" * 301)
    data.update({"places-TOTAL_FORMS": "1", "places-0-id": "99999", "places-0-province": "云南省"})
    url = reverse("applications:edit", args=[app.pk])
    lines = summary(client.post(url, {**data, "action": "save"}))
    assert [line.split("：")[0] for line in lines] == [
        "跨省帮扶·重点帮扶县名称",
        "省内帮扶·重点帮扶县名称",
        "页面版本（请重新打开本页）",
        "活动地点第 1 行·本行（可能已在别处删除，请重新打开本页）",
    ], lines

    answer = client.post(url, {**data, "action": "autosave"}).json()
    assert answer["message"].startswith("有 4 处格式有误，未自动保存：跨省帮扶·重点帮扶县名称：")


@pytest.mark.django_db
def test_autosave_of_form_2_never_says_none(client, call):
    unit = UnitFactory()
    assessment = AssessmentFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    answer = client.post(
        reverse("bases:assessment_edit", args=[assessment.pk]), {"action": "autosave"}
    ).json()
    assert answer["status"] == "invalid" and "None" not in answer["message"], answer
    assert "页面版本（请重新打开本页）" in answer["message"]
