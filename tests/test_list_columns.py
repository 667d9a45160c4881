"""The project lists' columns (reviews.columns): the bureau's default set, the columns a user
chooses and keeps, and who may choose."""

import re

import pytest
from django.urls import reverse

from reviews.engine import workflow
from shanghai_experts.models import User

from .factories import CompleteApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


def headers(client, query=None) -> list[str]:
    page = client.get(reverse("reviews:queue"), query or {}).content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th [^>]*>(.*?)</th>", head)]


@pytest.fixture
def listed(call, unit, unit_user):
    """One team recommended to the bureau, so the lists have a row."""
    app = CompleteApplicationFactory(call=call, unit=unit)
    app = workflow.transition(app, "submit", user=unit_user)
    officer = UserFactory(organisation=unit.district)
    app = workflow.transition(app, "accept", user=officer)
    workflow.transition(app, "recommend", user=officer, comment="同意")
    return officer


BUREAU_DEFAULT = [
    "选择", "编号", "名称", "申报单位", "类别", "推荐单位", "均分", "极差", "优先", "申请经费",
    "盖章件", "提交时间", "状态",
]  # fmt: skip


def test_the_bureau_sees_the_default_columns_until_it_chooses(client, bureau, listed):
    user = UserFactory(organisation=bureau)
    client.force_login(user)
    assert headers(client) == BUREAU_DEFAULT
    response = client.post(
        reverse("reviews:columns"),
        # 状态 cannot be hidden, an unknown key is ignored, the order is the list's own.
        {
            "columns": ["leader", "granted", "unit", "state", "bogus"],
            "query": "state=recommended&page=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:queue") + "?state=recommended&page=1"
    user.refresh_from_db()
    assert user.list_columns == ["unit", "granted", "leader"]
    assert headers(client) == [
        "选择",
        "编号",
        "名称",
        "申报单位",
        "资助经费",
        "领衔专家",
        "提交时间",
        "状态",
    ]
    # The row has as many cells as the header.
    page = client.get(reverse("reviews:queue")).content.decode()
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert row.count("<td") == 8
    client.post(reverse("reviews:columns"), {"reset": "1"})
    user.refresh_from_db()
    assert user.list_columns is None and headers(client) == BUREAU_DEFAULT


def test_a_recommender_sees_all_its_columns_and_none_of_the_bureaus(client, listed):
    client.force_login(listed)
    assert headers(client) == [
        "选择", "编号", "名称", "申报单位", "类别", "服务领域", "排序", "盖章件", "书面材料",
        "提交时间", "状态",
    ]  # fmt: skip
    client.post(reverse("reviews:columns"), {"columns": ["mean", "field"]})  # 均分 is the bureau's
    assert User.objects.get(pk=listed.pk).list_columns == ["field"]
    assert headers(client)[3:5] == ["服务领域", "提交时间"]


def test_only_those_with_a_list_choose_its_columns(client, unit_user, call):
    client.force_login(unit_user)
    assert client.post(reverse("reviews:columns"), {"columns": ["unit"]}).status_code == 404
    assert User.objects.get(pk=unit_user.pk).list_columns is None
    assert client.get(reverse("reviews:columns")).status_code == 405
