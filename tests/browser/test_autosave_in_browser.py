"""Typed work is never lost: autosave, a conflict shown, the idle warning, and restoring what
was typed when the session ended anyway."""

import pytest
from playwright.sync_api import expect

from applications.models import Application
from tests.browser.conftest import log_in
from tests.factories import ApplicationFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft():
    call = CallFactory()
    unit = UnitFactory()
    return ApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


def test_typing_is_saved_without_a_click(page, live_server):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_label("服务团名称").fill("自动保存的服务团")
    page.get_by_label("服务领域").fill("医疗卫生")
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    page.reload()
    expect(page.get_by_label("服务团名称")).to_have_value("自动保存的服务团")
    saved = Application.objects.get(pk=app.pk)
    assert (saved.name, saved.state) == ("自动保存的服务团", "draft")  # saved, never submitted


def test_new_rows_are_saved_once_however_often_autosave_runs(page, live_server):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.locator("[name=places-0-province_code]").select_option(label="云南省")
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    page.locator("[name=places-0-city_code]").select_option(label="文山壮族苗族自治州")
    county = page.locator("[name=places-0-county_code]")
    expect(county.locator("option", has_text="广南县")).to_have_count(1)
    county.select_option(label="广南县")
    page.wait_for_timeout(500)
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    page.wait_for_function(
        "!document.querySelector('[data-autosave-status]').textContent.includes('未能')"
    )
    page.wait_for_timeout(4000)
    assert list(app.places.values_list("province", "county")) == [("云南省", "广南县")]


def test_two_tabs_show_the_conflict(browser, live_server):
    app, user = draft()
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    log_in(first, live_server, user)
    for tab in (first, second):
        tab.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    first.get_by_label("服务团名称").fill("第一个标签页")
    expect(first.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    second.get_by_label("服务团名称").fill("第二个标签页")
    expect(second.locator("[data-autosave-status]")).to_contain_text(
        "本表已在别处保存过", timeout=10000
    )
    assert Application.objects.get(pk=app.pk).name == "第一个标签页"
    context.close()


def test_the_idle_warning_extends_and_what_was_typed_comes_back(page, live_server, settings):
    settings.SESSION_IDLE_TIMEOUT = 20  # seconds: the warning comes at half of it
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/")
    warning = page.get_by_test_id("session-warning")
    expect(warning).to_contain_text("将自动退出登录", timeout=15000)
    warning.get_by_role("button", name="继续").click()
    expect(warning).to_be_hidden()

    # On the edit page the session ends while a text waits unsaved (autosave is broken off).
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.route(
        "**/applications/*/edit/",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_label("服务团名称").fill("会话过期前输入的名称")
    expect(warning).to_contain_text("会话已结束", timeout=25000)
    page.unroute("**/applications/*/edit/")

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_role("button", name="恢复未保存的内容").click()
    expect(page.get_by_label("服务团名称")).to_have_value("会话过期前输入的名称")
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    assert Application.objects.get(pk=app.pk).name == "会话过期前输入的名称"
