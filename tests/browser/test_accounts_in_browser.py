"""A new unit's way in, and the bureau's second login step, in Chromium."""

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from reviews.models import OutboundMail
from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    BureauFactory,
    CallFactory,
    DistrictFactory,
    UserFactory,
    make_uscc,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "Xinmima#2026"


def test_a_unit_registers_is_approved_activates_and_starts_a_draft(page, live_server, checkpoint):
    CallFactory()
    district = DistrictFactory(name="上海市长宁区人力资源和社会保障局", short_name="长宁区人社局")
    officer = UserFactory(organisation=district)

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="申报单位注册").click()
    page.get_by_label("单位名称").fill("上海市长宁区新华街道社区卫生服务中心")
    page.get_by_label("统一社会信用代码").fill(make_uscc(4242))
    page.get_by_label("所在区").select_option(label="长宁区")
    page.get_by_label("联系人").fill("王芳")
    page.get_by_label("手机").fill("13812345678")
    page.get_by_label("电子邮箱").fill("wangfang@example.org")
    page.get_by_label("登录名").fill("xinhua")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    checkpoint("register")
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_test_id("approval")).to_contain_text("待审核")
    checkpoint("status-pending")

    log_in(page, live_server, officer)
    page.get_by_role("button", name="账号").click()
    page.get_by_role("link", name="注册审核").click()
    row = page.get_by_test_id("registration").filter(has_text="新华街道")
    row.get_by_test_id("approve").click()
    expect(page.get_by_test_id("registration-details")).to_contain_text(make_uscc(4242))
    page.get_by_test_id("confirm").click()
    expect(page.get_by_role("alert").first).to_contain_text("已通过审核")
    checkpoint("approved")

    mail = OutboundMail.objects.filter(subject__contains="账号激活").latest("id")
    link = re.search(r"https?://\S+(/accounts/activate/\S+/)", mail.body)[1]
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="确认激活").click()
    expect(page.get_by_role("alert").first).to_contain_text("账号已激活")

    page.get_by_label("用户名").fill("xinhua")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="新建服务团申报（附件1）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("项目申报表")
    checkpoint("draft")


def test_the_activation_link_works_in_the_browser_that_registered(page, live_server, checkpoint):
    """Issue 23: registration logs the unit in, and the e-mailed link, opened in that same
    browser (no 退出 first), activates the account."""
    district = DistrictFactory(name="上海市徐汇区人力资源和社会保障局", short_name="徐汇区人社局")
    page.goto(f"{live_server.url}/accounts/register/")
    expect(page.get_by_test_id("password-rules")).to_contain_text("至少 8 个字符")
    expect(page.get_by_text("营业执照", exact=False).first).to_be_visible()
    page.get_by_label("单位名称").fill("上海市徐汇区枫林街道社区卫生服务中心")
    page.get_by_label("统一社会信用代码").fill(make_uscc(4343))
    page.get_by_label("所在区").select_option(label="徐汇区")
    page.get_by_label("联系人").fill("李静")
    page.get_by_label("手机").fill("13912345678")
    page.get_by_label("电子邮箱").fill("lijing@example.org")
    page.get_by_label("登录名").fill("fenglin")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_test_id("activation")).to_contain_text("未激活")
    checkpoint("registered")

    mail = OutboundMail.objects.filter(subject__contains="账号激活").latest("id")
    assert "lijing@example.org" in mail.recipients
    link = re.search(r"https?://\S+(/accounts/activate/\S+/)", mail.body)[1]
    page.goto(f"{live_server.url}{link}")  # the same context: still logged in
    expect(page.get_by_test_id("login-name")).to_have_text("fenglin")
    page.get_by_role("button", name="确认激活").click()
    expect(page.get_by_role("alert").first).to_contain_text("账号已激活")
    expect(page.get_by_test_id("activation")).to_contain_text("已激活")
    expect(page.get_by_test_id("activation")).not_to_contain_text("未激活")
    expect(page.get_by_test_id("approval")).to_contain_text("待审核")
    checkpoint("activated")
    assert district.pk  # the unit waits for this district's office


def test_a_bureau_user_enrols_and_logs_in_with_a_code(page, live_server, settings, checkpoint):
    settings.REQUIRE_2FA_ROLES = ["municipal"]
    CallFactory()
    officer = UserFactory(organisation=BureauFactory())
    log_in(page, live_server, officer)
    expect(page.get_by_test_id("enrol-required")).to_be_visible()
    page.goto(f"{live_server.url}/reviews/")
    expect(page.get_by_test_id("enrol-required")).to_be_visible()  # nothing else is reachable
    checkpoint("enrol")

    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    totp = TOTP(device.bin_key)
    page.get_by_label("验证码").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="启用").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    checkpoint("recovery-codes")
    page.get_by_role("link", name="我已保存，进入系统").click()
    expect(page.get_by_role("link", name="全市申报")).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(officer.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    # The code just used is not accepted twice: the step after the one enrolment used (or the
    # current one, if time has moved on), whichever the device accepts next.
    device.refresh_from_db()
    now = (int(time.time()) - device.t0) // device.step + device.drift
    totp.time, totp.drift = device.t0 + max(now, device.last_t + 1) * device.step, 0
    page.get_by_label("验证码").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("link", name="全市申报")).to_be_visible()
    checkpoint("verified")
