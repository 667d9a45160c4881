"""The save before a deadline: a button clicked while an autosave is on its way, a page the
server normalised, a login that expired while the clerk typed. Issue 23, Broken 2–4."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from applications.models import Application
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, ApplicationFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft():
    call = CallFactory()
    unit = UnitFactory()
    return ApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


def hold_autosave_answers(page):
    """Autosave requests reach the server (and are saved there); their answers are held back
    until the test lets them go: the moment a clerk's click meets an autosave in flight."""
    held = []

    def handle(route):
        request = route.request
        if request.method == "POST" and "autosave" in (request.post_data or ""):
            held.append((route, route.fetch()))
        else:
            route.fallback()

    page.route("**/edit/", handle)
    return held


def wait_for(page, condition, seconds=15):
    for _ in range(seconds * 10):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("not reached")


@pytest.mark.parametrize("button", ["保存草稿", "提交申报"])
def test_a_button_clicked_while_autosave_is_in_flight_saves(page, live_server, button):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    held = hold_autosave_answers(page)
    page.get_by_label("服务团名称").fill("截止前的服务团")
    wait_for(page, lambda: held)  # the autosave is saved on the server, its answer not yet back
    assert Application.objects.get(pk=app.pk).version == app.version + 1
    page.get_by_label("服务领域").fill("截止前补上的领域")

    page.get_by_role("button", name=button).click()
    page.wait_for_timeout(500)
    for route, response in held:
        route.fulfill(response=response)
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible(timeout=15000)
    expect(page.get_by_text("已在别处保存过")).to_have_count(0)
    saved = Application.objects.get(pk=app.pk)
    assert (saved.name, saved.service_field) == ("截止前的服务团", "截止前补上的领域")


def test_a_save_the_server_normalised_is_not_offered_back_as_unsaved(page, live_server):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_label("服务团名称").fill("末尾有空格的服务团  ")
    page.get_by_label("项目经费预算金额（万元）").fill("8")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()
    expect(page.get_by_label("服务团名称")).to_have_value("末尾有空格的服务团")  # normalised
    expect(page.get_by_test_id("restore")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("服务团名称")).to_be_visible()
    expect(page.get_by_test_id("restore")).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('autosave:'))") == []


def test_an_unsaved_copy_is_dated_in_shanghai_time(browser, live_server):
    app, user = draft()
    context = browser.new_context(timezone_id="UTC")  # a computer whose clock is set to UTC
    page = context.new_page()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.route("**/edit/", lambda r: r.abort() if r.request.method == "POST" else r.fallback())
    page.get_by_label("服务团名称").fill("未能发送的名称")
    typed = datetime.now(ZoneInfo("Asia/Shanghai"))
    page.unroute("**/edit/")
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    text = page.get_by_test_id("restore").inner_text()
    shown = {
        f"本浏览器中有 {t.month}月{t.day}日 {t:%H:%M} 填写但未保存的内容。"
        for t in (typed - timedelta(minutes=1), typed, typed + timedelta(minutes=1))
    }
    assert re.match(r"本浏览器中有 .*内容。", text) and text.split("内容。")[0] + "内容。" in shown
    context.close()


def test_an_expired_login_leads_back_to_the_form_with_the_text(page, live_server, checkpoint):
    """On the development server's WSGI handler (live_server): once a 500 in English."""
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.route("**/edit/", lambda r: r.abort() if r.request.method == "POST" else r.fallback())
    page.get_by_label("服务团名称").fill("过期前输入的名称")
    page.wait_for_timeout(300)
    page.unroute("**/edit/")
    # The browser drops the session cookie when its age (the idle limit) has passed.
    page.context.clear_cookies(name="sessionid")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("error")).to_contain_text("登录已过期")
    expect(page.get_by_test_id("kept")).to_contain_text("您已填写的内容保留在本浏览器中")
    checkpoint("expired")
    page.get_by_test_id("go-on").click()
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_role("button", name="恢复未保存的内容").click()
    expect(page.get_by_label("服务团名称")).to_have_value("过期前输入的名称")
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
    assert Application.objects.get(pk=app.pk).name == "过期前输入的名称"


def test_a_true_conflict_keeps_the_typing_to_restore_over_the_latest(browser, live_server):
    app, user = draft()
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    log_in(first, live_server, user)
    for tab in (first, second):
        tab.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    first.get_by_label("服务团名称").fill("同事保存的名称")
    first.get_by_role("button", name="保存草稿").click()
    expect(first.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()

    second.get_by_label("服务领域").fill("我填写的领域")
    second.get_by_role("button", name="保存草稿").click()
    expect(second.get_by_test_id("saved-elsewhere")).to_contain_text("这次没有保存")
    second.get_by_test_id("load-latest").click()
    expect(second.get_by_label("服务团名称")).to_have_value("同事保存的名称")
    second.get_by_role("button", name="恢复未保存的内容").click()
    expect(second.get_by_label("服务领域")).to_have_value("我填写的领域")
    second.get_by_role("button", name="保存草稿").click()
    expect(second.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()
    saved = Application.objects.get(pk=app.pk)
    # Only the box this tab changed was put back: the colleague's name stays.
    assert (saved.name, saved.service_field) == ("同事保存的名称", "我填写的领域")
    context.close()


def test_an_autosave_that_never_answers_holds_the_click_back_only_briefly(page, live_server):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    stalled = []  # a stalled network: the autosave neither arrives nor fails
    page.route(
        "**/edit/",
        lambda r: stalled.append(r) if "autosave" in (r.request.post_data or "") else r.fallback(),
    )
    page.get_by_label("服务团名称").fill("网络卡住时的名称")
    wait_for(page, lambda: stalled)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("[data-autosave-status]")).to_contain_text("正在完成自动保存")
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible(timeout=25000)
    assert Application.objects.get(pk=app.pk).name == "网络卡住时的名称"
