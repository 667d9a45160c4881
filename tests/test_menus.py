"""The navigation bar: what each role's menus offer, and that every item opens for that role.

The menus are built once per kind of user (portal.templatetags.menus); these tests
hold each role to its row of the table below.
"""

import re

import pytest
from django.urls import reverse

from shanghai_experts.models import Organisation

from .factories import (
    BureauFactory,
    CommissionFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
)

BUREAU_DROPDOWNS = [
    "推荐名额",
    "延长截止时间",
    "评审进度",
    "书面材料",
    "审计日志",
    "登录锁定",
    "邮件发送",
]

#: role: (main menu, its dropdowns, 账号 menu)
MENUS = {
    "unit": (["首页", "专家服务基地"], [], ["本单位信息", "账号安全", "修改密码"]),
    "unit_admin": (
        ["首页", "专家服务基地"],
        [],
        ["本单位信息", "本单位账号", "账号安全", "修改密码"],
    ),
    "district": (
        ["首页", "待审项目", "推荐排序", "推荐报送", "统计"],
        [],
        ["单位账号", "批量开通", "注册审核", "我的下载", "账号安全", "修改密码"],
    ),
    "commission": (
        ["首页", "待审项目", "推荐排序", "推荐报送", "统计"],
        [],
        ["单位账号", "批量开通", "我的下载", "账号安全", "修改密码"],
    ),
    "bureau": (
        ["首页", "全市申报", "推荐排序", "统计", "专家服务基地", "评审分配", "公布结果"],
        BUREAU_DROPDOWNS,
        ["单位账号", "批量开通", "注册审核", "我的下载", "账号安全", "修改密码"],
    ),
    "reviewer": (["首页", "评审任务"], [], ["账号安全", "修改密码"]),
    "administrator": (["首页"], [], ["账号安全", "修改密码"]),
}


def user_for(role: str):
    organisation = {
        "unit": UnitFactory,
        "unit_admin": UnitFactory,
        "district": DistrictFactory,
        "commission": CommissionFactory,
        "bureau": BureauFactory,
        "reviewer": lambda: Organisation.objects.create(
            kind=Organisation.Kind.REVIEWERS, name="评审专家组"
        ),
        "administrator": lambda: None,
    }[role]()
    return UserFactory(
        organisation=organisation,
        is_org_admin=role == "unit_admin",
        is_staff=role == "administrator",
    )


def menus(page: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """(main items, dropdown items of the main menu, 账号 items, every menu address)."""
    nav = page.split('<ul class="navbar-nav me-auto">')[1]
    main_menu, rest = nav.split('<span class="navbar-text', 1)
    account = rest.split('<ul class="dropdown-menu dropdown-menu-end">')[1].split("</ul>")[0]
    top = re.findall(r'<a class="nav-link" href="[^"]+">([^<]+)</a>', main_menu)
    dropdowns = re.findall(r'<a class="dropdown-item" href="[^"]+">([^<]+)</a>', main_menu)
    own = re.findall(r'<a class="dropdown-item" href="[^"]+">([^<]+)</a>', account)
    addresses = re.findall(r'href="(/[^"]*)"', main_menu + account)
    return top, dropdowns, own, addresses


@pytest.mark.parametrize("role", MENUS)
def test_each_role_sees_its_menus_and_each_item_opens(client, call, role):
    client.force_login(user_for(role))
    top, dropdowns, own, addresses = menus(client.get(reverse("home"), follow=True).text)
    assert (top, dropdowns, own) == MENUS[role]
    for address in addresses:
        assert client.get(address, follow=True).status_code == 200, address


def test_the_menus_stay_hidden_while_a_login_step_is_owed(client, call):
    """A user who must change an administrator's password first sees no menu to leave by."""
    client.force_login(UserFactory(organisation=BureauFactory(), must_change_password=True))
    page = client.get(reverse("password_change")).text
    nav = page.split('<ul class="navbar-nav me-auto">')[1].split("</ul>")[0]
    assert nav.strip() == "" and "账号安全" not in page and "退出" in page


def test_the_menus_follow_the_user_not_the_last_page_built(client, call):
    """Built once per kind of user: a unit after the bureau still gets a unit's menus."""
    client.force_login(user_for("bureau"))
    assert "评审分配" in client.get(reverse("home"), follow=True).text
    client.force_login(user_for("unit"))
    page = client.get(reverse("home"), follow=True).text
    assert "评审分配" not in page and "本单位信息" in page
