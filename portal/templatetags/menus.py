"""The navigation bar's menus, built once per kind of user and process.

They live in the top floor because they name the pages of every app below it (the core's
templates only load the tag), so no lower floor names an upper floor's URLs.

What a menu offers depends on the user's organisation kind and on whether the user manages the
organisation's accounts; the addresses never change while a process runs. Rendering the menus
through the template engine on every request cost each page about as much as its list query,
so each combination is built here once and reused; the parts that name the user stay in
base.html.
"""

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from shanghai_experts.models import Organisation

register = template.Library()


def _main(org: Organisation | None) -> list[tuple[str, str]]:
    """(label, URL name) of the top-level items for an organisation (None: an administrator)."""
    items = [("首页", "home")]
    if org is None:
        return items
    if org.is_recommender or org.is_bureau:
        items.append(("全市申报" if org.is_bureau else "待审项目", "reviews:queue"))
        items.append(("推荐排序", "reviews:ranking"))
        if org.is_recommender:
            items.append(("推荐报送", "reviews:filing"))
        items.append(("统计", "reviews:statistics"))
    if org.is_bureau or org.is_unit:
        items.append(("专家服务基地", "bases:list"))
    if org.is_reviewer_panel:
        items.append(("评审任务", "reviews:my_reviews"))
    if org.is_bureau:
        items += [("评审分配", "reviews:assign"), ("公布结果", "reviews:publish")]
    return items


#: The bureau's dropdowns: (title, [(label, URL name)]).
BUREAU_DROPDOWNS = (
    (
        "设置",
        [
            ("推荐名额", "reviews:quotas"),
            ("延长截止时间", "reviews:extensions"),
            ("评审进度", "reviews:progress"),
            ("书面材料", "reviews:paper"),
        ],
    ),
    (
        "安全",
        [
            ("审计日志", "reviews:audit"),
            ("登录锁定", "reviews:lockouts"),
            ("邮件发送", "reviews:failing_mail"),
        ],
    ),
)


def _account(org: Organisation | None, org_admin: bool) -> list[tuple[str, str]]:
    """(label, URL name) of the 账号 dropdown."""
    items = []
    if org is not None and org.is_unit:
        items.append(("本单位信息", "my_organisation"))
    if org_admin:
        items.append(("本单位账号", "accounts:colleagues"))
    if org is not None and (org.is_recommender or org.is_bureau):
        items += [("单位账号", "accounts:units"), ("批量开通", "accounts:onboarding")]
    if org is not None and (org.kind == Organisation.Kind.DISTRICT or org.is_bureau):
        items.append(("注册审核", "accounts:approvals"))
    if org is not None and (org.is_recommender or org.is_bureau):
        items.append(("我的下载", "jobs:list"))  # the ZIPs and exports built in the background
    items += [("账号安全", "accounts:security"), ("修改密码", "password_change")]
    return items


def _links(items, css: str) -> str:
    return format_html_join(
        "",
        '<li><a class="{}" href="{}">{}</a></li>',
        ((css, reverse(n), label) for label, n in items),
    )


@functools.cache
def _menus(kind: str | None, org_admin: bool, prefix: str, urlconf: str) -> tuple[str, str]:
    """(the main menu's <li> items, the 账号 dropdown) for one kind of user. `prefix` and
    `urlconf` key the cache only: the addresses depend on them."""
    org = Organisation(kind=kind) if kind else None  # what the menus ask of it is its kind
    main = format_html_join(
        "",
        '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>',
        ((reverse(name), label) for label, name in _main(org)),
    )
    if org is not None and org.is_bureau:
        main += format_html_join(
            "",
            '<li class="nav-item dropdown"><a class="nav-link dropdown-toggle" href="#" '
            'role="button" data-bs-toggle="dropdown" aria-expanded="false">{}</a>'
            '<ul class="dropdown-menu">{}</ul></li>',
            ((title, _links(items, "dropdown-item")) for title, items in BUREAU_DROPDOWNS),
        )
    account = format_html(
        '<div class="dropdown d-inline me-2"><button class="btn btn-sm btn-outline-light '
        'dropdown-toggle" type="button" data-bs-toggle="dropdown" aria-expanded="false">账号'
        '</button><ul class="dropdown-menu dropdown-menu-end">{}</ul></div>',
        _links(_account(org, org_admin), "dropdown-item"),
    )
    return main, account


@register.simple_tag(takes_context=True)
def site_menu(context, part: str):
    """{% site_menu "main" %} or {% site_menu "account" %} for the logged-in user; nothing
    while the user still owes a step of logging in (accounts.middleware: request.account_gate)."""
    request, user = context["request"], context["user"]
    if getattr(request, "account_gate", None):
        return ""
    org = user.organisation
    main, account = _menus(
        org.kind if org is not None else None,
        bool(user.is_org_admin),
        get_script_prefix(),
        str(getattr(request, "urlconf", None) or settings.ROOT_URLCONF),
    )
    return mark_safe(main if part == "main" else account)
