"""Accounts for every unit: registration and its approval, activation links, 忘记密码, forced
and periodic password changes, colleagues, bulk onboarding, and two-factor login."""

import datetime
import io
import re
import uuid

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook, load_workbook

from accounts import onboarding, twofactor
from accounts.models import OnboardingBatch
from accounts.tokens import activation_token
from applications.models import Application
from reviews.models import AuditRecord, OutboundMail
from reviews.operations.retention import purge
from shanghai_experts.models import Organisation, User

from .factories import (
    PASSWORD,
    BureauFactory,
    CommissionFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
    make_uscc,
)

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Xinmima#2026"


def registration(district, **overrides):
    data = {
        "name": "上海市某某社区卫生服务中心",
        "uscc": make_uscc(777),
        "district": district.pk,
        "commission": "",
        "contact_name": "王芳",
        "mobile": "13812345678",
        "email": "wangfang@example.org",
        "username": "moumou",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def last_mail_to(address: str, subject: str = "") -> OutboundMail:
    mails = [
        m
        for m in OutboundMail.objects.filter(subject__contains=subject).order_by("-id")
        if address in m.recipients
    ]
    assert mails, address
    return mails[0]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def activation_path(body: str) -> str:
    match = re.search(r"(https?://\S+/accounts/activate/\S+/)", body)
    assert match, body
    return path_of(match.group(1))


# --- registration -----------------------------------------------------------------------------


@pytest.fixture
def district():
    return DistrictFactory()


def test_a_unit_registers_and_until_approved_sees_only_its_status(client, district):
    DistrictUser = UserFactory(organisation=district, email="district@example.org")
    response = client.post(reverse("accounts:register"), registration(district))
    assert response.status_code == 302 and response.url == reverse("accounts:status")

    unit = Organisation.objects.get(name="上海市某某社区卫生服务中心")
    assert unit.approval == Organisation.Approval.PENDING and unit.district == district
    account = User.objects.get(username="moumou")
    assert account.organisation == unit and account.is_org_admin and account.awaiting_activation
    assert AuditRecord.objects.filter(action="register", object_id=unit.pk).exists()
    # The activation link goes to the unit; the district office hears of the registration.
    assert "/accounts/activate/" in last_mail_to("wangfang@example.org").body
    assert unit.name in last_mail_to(DistrictUser.email).subject

    page = client.get(reverse("accounts:status"))
    assert "待审核" in page.content.decode() and "未激活" in page.content.decode()
    for url in (reverse("home"), reverse("applications:create"), reverse("bases:list")):
        assert client.get(url).url == reverse("accounts:status")


def test_the_activation_link_works_in_the_browser_that_registered(client, district):
    """Registration logs the unit in; the e-mailed link opened in that same session activates
    (it used to bounce back to 账号状态, which asked for the link again)."""
    client.post(reverse("accounts:register"), registration(district))
    path = activation_path(last_mail_to("wangfang@example.org", "账号激活").body)
    page = client.get(path)
    assert page.status_code == 200 and "确认激活" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    account = User.objects.get(username="moumou")
    assert not account.awaiting_activation
    status = client.get(reverse("accounts:status"), follow=True).content.decode()
    assert "已激活" in status and "未激活" not in status and "待审核" in status


def test_the_registration_page_says_where_the_code_is_and_lists_the_password_rules(
    client, district
):
    district.short_name = "长宁区人社局"
    district.save()
    html = client.get(reverse("accounts:register")).content.decode()
    assert "营业执照" in html and "登记证书" in html and "18 位" in html
    assert ">长宁区</option>" in html and "长宁区人社局</option>" not in html
    rules = re.search(r'data-testid="password-rules">(.*?)</ul>', html, re.S).group(1)
    assert "至少 8 个字符" in rules and "大写字母、小写字母、数字、符号中的至少 3 类" in rules
    assert "登录名或单位名称" in rules


def test_a_bad_code_is_named_and_nothing_typed_is_lost(client, district):
    response = client.post(
        reverse("accounts:register"), registration(district, uscc="91310000MA1234567X")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "统一社会信用代码：" in html
    assert "上海市某某社区卫生服务中心" in html and "wangfang@example.org" in html
    assert not Organisation.objects.filter(name="上海市某某社区卫生服务中心").exists()


def test_a_registered_code_is_refused_and_creates_nothing(client, district):
    existing = UnitFactory(name="上海市第一人民医院", district=district)
    before = Organisation.objects.count()
    # Pasted in full width with spaces: still the same code.
    typed = " ".join(existing.uscc).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    response = client.post(reverse("accounts:register"), registration(district, uscc=typed))
    html = response.content.decode()
    assert "该统一社会信用代码已经注册" in html and "邀请" in html
    assert "上海市第一人民医院" not in html  # an anonymous visitor learns no unit's name
    assert Organisation.objects.count() == before
    assert not User.objects.filter(username="moumou").exists()


def test_registration_is_rate_limited_per_address(client, district, settings):
    settings.REGISTRATIONS_PER_HOUR = 2
    for n in range(2):
        client.post(
            reverse("accounts:register"),
            registration(district, uscc="bad", username=f"u{n}"),
            REMOTE_ADDR="10.8.8.8",
        )
    response = client.post(
        reverse("accounts:register"), registration(district), REMOTE_ADDR="10.8.8.8"
    )
    assert "注册次数过多" in response.content.decode()
    assert "wangfang@example.org" in response.content.decode()  # what was typed stays
    assert not User.objects.filter(username="moumou").exists()
    other = client.post(
        reverse("accounts:register"), registration(district), REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302


def test_only_public_forms_take_anonymous_input(client, district):
    assert client.post(reverse("accounts:units"), {"q": "x"}).status_code == 403
    big = {"name": "x" * 70000}
    assert client.post(reverse("accounts:register"), big).status_code == 413


# --- approval ---------------------------------------------------------------------------------


def registered(client, district, **overrides) -> Organisation:
    client.post(reverse("accounts:register"), registration(district, **overrides))
    client.logout()
    return Organisation.objects.get(uscc=overrides.get("uscc", make_uscc(777)))


def test_the_district_approves_and_the_activated_unit_starts_a_draft(
    client, district, call, django_capture_on_commit_callbacks
):
    unit = registered(client, district)
    officer = UserFactory(organisation=district)
    client.force_login(officer)
    page = client.get(reverse("accounts:approvals"))
    assert unit.name in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:decide", args=[unit.pk]), {"decision": "approve"})
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.APPROVED
    assert AuditRecord.objects.filter(action="approve_unit", object_id=unit.pk).exists()
    notice = [m for m in mail.outbox if "注册审核通过" in m.subject]
    assert notice and "wangfang@example.org" in notice[0].to
    client.logout()

    # Activation: the link from the registration e-mail confirms the address, once.
    path = activation_path(last_mail_to("wangfang@example.org", "账号激活").body)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert client.get(path).status_code == 400

    client.post(reverse("login"), {"username": "moumou", "password": NEW_PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("applications:create"), {"token": str(uuid.uuid4())})
    draft = Application.objects.get(unit=unit)
    assert response.url == reverse("applications:edit", args=[draft.pk])


def test_an_approval_is_confirmed_on_its_own_page_before_anything_changes(client, district):
    """注册审核: 通过 on the list only opens the confirmation (the registration again, the
    decision preselected); the unit is approved when 确认 is pressed, and a rejection without a
    reason keeps what was chosen and names the field."""
    unit = registered(client, district)
    client.force_login(UserFactory(organisation=district))
    listing = client.get(reverse("accounts:approvals")).content.decode()
    confirm_url = reverse("accounts:decide", args=[unit.pk]) + "?decision=approve"
    assert 'href="' + confirm_url + '"' in listing.replace("&amp;", "&")
    page = client.get(confirm_url).content.decode()
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.PENDING  # looking changes nothing
    assert "确认注册审核" in page and unit.uscc in page and "moumou（未激活）" in page
    assert re.search(r'value="approve"[^>]*checked', page)

    refused = client.post(reverse("accounts:decide", args=[unit.pk]), {"decision": "reject"})
    html = refused.content.decode()
    assert refused.status_code == 200 and "不予通过的原因：不予通过时请填写原因。" in html
    assert re.search(r'value="reject"[^>]*checked', html)
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.PENDING

    client.post(reverse("accounts:decide", args=[unit.pk]), {"decision": "approve"})
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.APPROVED
    again = client.get(confirm_url, follow=True).content.decode()
    assert "已经审核过" in again


def test_a_district_cannot_decide_on_another_districts_unit(client, district):
    unit = registered(client, district)
    other = UserFactory(organisation=DistrictFactory())
    client.force_login(other)
    assert unit.name not in client.get(reverse("accounts:approvals")).content.decode()
    response = client.post(reverse("accounts:decide", args=[unit.pk]), {"decision": "approve"})
    assert response.status_code == 404
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.PENDING


@pytest.mark.parametrize("kind", ["unit", "commission", "reviewers"])
def test_only_districts_and_the_bureau_have_the_approvals_page(client, kind):
    org = {
        "unit": UnitFactory,
        "commission": CommissionFactory,
        "reviewers": lambda: Organisation.objects.create(kind="reviewers", name="评审专家组"),
    }[kind]()
    client.force_login(UserFactory(organisation=org))
    assert client.get(reverse("accounts:approvals")).status_code == 404


def test_a_rejection_needs_a_reason_and_the_unit_sees_it(client, district):
    unit = registered(client, district)
    client.force_login(UserFactory(organisation=BureauFactory()))
    client.post(reverse("accounts:decide", args=[unit.pk]), {"decision": "reject"})
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.PENDING
    client.post(
        reverse("accounts:decide", args=[unit.pk]),
        {"decision": "reject", "reason": "单位名称与营业执照不一致"},
    )
    unit.refresh_from_db()
    assert unit.approval == Organisation.Approval.REJECTED
    client.logout()
    client.post(reverse("login"), {"username": "moumou", "password": NEW_PASSWORD})
    assert client.get(reverse("home")).url == reverse("accounts:status")
    assert "单位名称与营业执照不一致" in client.get(reverse("accounts:status")).content.decode()


# --- activation, colleagues -------------------------------------------------------------------


@pytest.fixture
def unit_admin():
    return UserFactory(organisation=UnitFactory(), is_org_admin=True)


def invite(client, admin, username="colleague"):
    client.force_login(admin)
    return client.post(
        reverse("accounts:colleagues"),
        {"name": "刘洋", "username": username, "email": f"{username}@example.org", "mobile": ""},
    )


def test_an_invited_colleague_sets_a_password_once(client, unit_admin):
    assert invite(client, unit_admin).status_code == 302
    colleague = User.objects.get(username="colleague")
    assert colleague.organisation == unit_admin.organisation
    assert not colleague.has_usable_password()
    body = last_mail_to("colleague@example.org").body
    assert PASSWORD not in body and "密码：" not in body
    client.logout()

    path = activation_path(body)
    weak = client.post(path, {"new_password1": "123", "new_password2": "123"})
    assert "设置密码：" in weak.content.decode() or "密码" in weak.content.decode()
    done = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    again = client.post(path, {"new_password1": "Another#2026x", "new_password2": "Another#2026x"})
    assert again.status_code == 400 and "激活链接无效" in again.content.decode()
    assert (
        client.post(
            reverse("login"), {"username": "colleague", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    assert AuditRecord.objects.filter(action="activate", actor__username="colleague").exists()


def test_an_activation_link_expires(client, unit_admin, settings, monkeypatch):
    settings.ACCOUNT_ACTIVATION_DAYS = 3
    invite(client, unit_admin)
    client.logout()
    path = activation_path(last_mail_to("colleague@example.org").body)
    later = datetime.datetime.now() + datetime.timedelta(days=3, hours=1)
    monkeypatch.setattr(activation_token, "_now", lambda: later)
    assert client.get(path).status_code == 400
    monkeypatch.setattr(activation_token, "_now", lambda: later - datetime.timedelta(hours=2))
    assert client.get(path).status_code == 200


def test_colleagues_are_managed_within_the_organisation_only(client, unit_admin):
    invite(client, unit_admin)
    colleague = User.objects.get(username="colleague")
    client.post(reverse("accounts:colleague_active", args=[colleague.pk]), {"active": "0"})
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert AuditRecord.objects.filter(action="disable_user", comment="colleague").exists()
    # Not oneself, not another organisation's people.
    client.post(reverse("accounts:colleague_active", args=[unit_admin.pk]), {"active": "0"})
    unit_admin.refresh_from_db()
    assert unit_admin.is_active
    stranger = UserFactory()
    response = client.post(
        reverse("accounts:colleague_active", args=[stranger.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    # A colleague who is not the account manager has no such page.
    client.force_login(UserFactory(organisation=unit_admin.organisation))
    assert client.get(reverse("accounts:colleagues")).status_code == 404


def test_a_taken_login_name_is_refused_on_invitation(client, unit_admin):
    UserFactory(username="Taken")
    response = invite(client, unit_admin, username="taken")
    assert "登录名：该登录名已被使用" in response.content.decode()


# --- passwords --------------------------------------------------------------------------------


def test_forgotten_password_gives_the_same_answer_for_any_address(
    client, settings, django_capture_on_commit_callbacks
):
    UserFactory(username="known", email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("accounts:password_reset"), {"email": "known@example.org"})
        unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("accounts:password_reset_done")
    assert [m.to for m in mail.outbox] == [["known@example.org"]]
    assert "重设密码" in mail.outbox[0].subject


def test_forgotten_password_resets_once_and_is_rate_limited(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESETS_PER_HOUR = 2
    user = UserFactory(username="known", email="known@example.org", must_change_password=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "known@example.org"})
    path = path_of(re.search(r"(https?://\S+/password/reset/\S+/)", mail.outbox[0].body)[1])
    form = client.get(path, follow=True)
    assert "新密码" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.must_change_password
    assert "无效" in client.get(path, follow=True).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "known@example.org"})
        limited = client.post(reverse("accounts:password_reset"), {"email": "known@example.org"})
    assert limited.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 2  # the third request sent nothing


def test_an_account_made_by_an_administrator_must_change_its_password(client, admin_user):
    unit = UnitFactory()
    client.force_login(admin_user)
    client.post(
        reverse("admin:shanghai_experts_user_add"),
        {
            "username": "newclerk",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "organisation": unit.pk,
            "email": "clerk@example.org",
            "phone": "",
        },
    )
    clerk = User.objects.get(username="newclerk")
    assert clerk.must_change_password
    client.logout()
    client.post(reverse("login"), {"username": "newclerk", "password": NEW_PASSWORD})
    assert client.get(reverse("home")).url == reverse("password_change")


def test_an_old_password_must_be_changed(client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91)
    )
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert client.get(reverse("home")).url == reverse("password_change")
    assert "已使用超过 90 天" in client.get(reverse("password_change")).content.decode()
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.get(reverse("home")).status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 0
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now().replace(year=2000))
    assert client.get(reverse("home")).status_code == 200


# --- bulk onboarding --------------------------------------------------------------------------


def sheet(rows, headers=onboarding.HEADERS) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "名单.xlsx"
    return out


def unit_rows(district, n, start=0, mobile="13900000000"):
    return [
        [
            f"上海测试单位{i}",
            make_uscc(5000 + i),
            district.name,
            f"联系人{i}",
            mobile,
            f"u{i}@example.org",
        ]
        for i in range(start, start + n)
    ]


def upload(client, rows, **kwargs):
    return client.post(reverse("accounts:onboarding"), {"file": sheet(rows, **kwargs)})


def test_the_template_is_the_sheet_the_upload_reads(client):
    client.force_login(UserFactory(organisation=BureauFactory()))
    response = client.get(reverse("accounts:onboarding_template"))
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["单位名单"][1]] == onboarding.HEADERS
    assert "填写说明" in wb.sheetnames


def test_row_problems_are_listed_before_anything_is_saved(client, district):
    client.force_login(UserFactory(organisation=BureauFactory()))
    rows = unit_rows(district, 3)
    rows[1][1] = "91310000MA0000000X"  # wrong check character
    rows[2][4] = "1234"  # not a mobile number
    rows.append([*rows[0][:4], "13900000001", "x@example.org"])  # the same code twice
    before = Organisation.objects.count()
    response = upload(client, rows)
    batch = OnboardingBatch.objects.get()
    assert response.url == reverse("accounts:onboarding_preview", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "第 3 行" in page and "统一社会信用代码" in page
    assert "第 4 行" in page and "手机号码应为 11 位数字" in page
    assert "第 5 行" in page and "与第 2 行的代码重复" in page
    assert Organisation.objects.count() == before

    client.post(response.url)
    assert Organisation.objects.count() == before + 1  # only the good row
    account = User.objects.get(username=make_uscc(5000))
    assert not account.has_usable_password() and account.is_org_admin


def test_importing_the_same_file_twice_updates_contacts_and_duplicates_nothing(
    client, district, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(organisation=BureauFactory()))
    rows = unit_rows(district, 5)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(upload(client, rows).url)
    assert Organisation.objects.filter(name__startswith="上海测试单位").count() == 5
    assert len(mail.outbox) == 5
    assert all("/accounts/activate/" in m.body and PASSWORD not in m.body for m in mail.outbox)

    again = upload(client, rows)
    batch = OnboardingBatch.objects.latest("id")
    assert batch.count("same") == 5 and batch.count("create") == 0
    rows[0][3], rows[0][4] = "新联系人", "13700000000"
    client.post(upload(client, rows).url)
    assert Organisation.objects.filter(name__startswith="上海测试单位").count() == 5
    org = Organisation.objects.get(uscc=make_uscc(5000))
    assert (org.contact_name, org.contact_mobile) == ("新联系人", "13700000000")
    assert User.objects.get(username=make_uscc(5000)).first_name == "新联系人"
    assert User.objects.filter(organisation__name__startswith="上海测试单位").count() == 5
    assert again.status_code == 302


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"not a spreadsheet", "名单.xlsx", "无法作为 .xlsx 读取"),
        (b"a,b,c", "名单.csv", "请上传 .xlsx"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(client, content, name, message):
    client.force_login(UserFactory(organisation=BureauFactory()))
    f = io.BytesIO(content)
    f.name = name
    response = client.post(reverse("accounts:onboarding"), {"file": f})
    assert message in response.content.decode()
    assert not OnboardingBatch.objects.exists()


def test_wrong_headers_are_refused(client, district):
    client.force_login(UserFactory(organisation=BureauFactory()))
    response = upload(client, unit_rows(district, 1), headers=["名称", "代码"])
    assert "第 1 行的列名应为" in response.content.decode()


def test_a_district_imports_only_its_own_units(client, district):
    other = DistrictFactory()
    client.force_login(UserFactory(organisation=district))
    rows = unit_rows(other, 1) + [
        [*unit_rows(district, 1, start=1)[0][:2], "", "张三", "13900000000", "z@example.org"]
    ]
    batch = OnboardingBatch.objects.get(pk=upload(client, rows).url.rstrip("/").split("/")[-1])
    problems = {row["row"]: row["problems"] for row in batch.rows}
    assert problems[2] == [{"column": "所在区", "message": "只能导入本区的单位。"}]
    assert problems[3] == []  # blank district: the uploader's own
    # A batch of another recommender is not found.
    client.force_login(UserFactory(organisation=DistrictFactory()))
    assert client.get(reverse("accounts:onboarding_preview", args=[batch.pk])).status_code == 404
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert client.get(reverse("accounts:onboarding")).status_code == 404


def test_import_queries_do_not_grow_with_rows(rf, district):
    bureau_user = UserFactory(organisation=BureauFactory())

    def run(n, start):
        request = rf.post("/")
        request.user = bureau_user
        with CaptureQueriesContext(connection) as checked:
            batch = onboarding.check(request, sheet(unit_rows(district, n, start=start)))
        with CaptureQueriesContext(connection) as applied:
            onboarding.apply(request, batch)
        assert batch.count("create") == n
        return len(checked), len(applied)

    small, large = run(10, 0), run(120, 100)
    # Reading checks a fixed number of things; saving grows only by bulk batches (SQLite's
    # parameter limit splits them; on PostgreSQL they are equal), never by a query a row.
    assert small[0] == large[0]
    assert large[1] - small[1] < (120 - 10) / 20


# --- two-factor login -------------------------------------------------------------------------


@pytest.fixture
def two_factor(settings, call):
    settings.REQUIRE_2FA_ROLES = ["municipal", "admin"]
    # django-otp's own delay after a wrong code (1 s, 2 s, 4 s…) would make these tests wait;
    # the lockout below is the brake they check.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():06d}"


def password_login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_a_bureau_login_without_enrolment_reaches_only_the_enrolment_page(client, two_factor):
    officer = UserFactory(organisation=BureauFactory())
    password_login(client, officer)
    for url in (reverse("home"), reverse("reviews:queue"), reverse("reviews:audit")):
        assert client.get(url).url == reverse("accounts:otp_enrol")
    page = client.get(reverse("accounts:otp_enrol")).content.decode()
    assert "<svg" in page and 'data-testid="otp-secret"' in page

    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert (
        "验证码："
        in client.post(reverse("accounts:otp_enrol"), {"code": "000000"}).content.decode()
    )
    codes_page = client.post(reverse("accounts:otp_enrol"), {"code": code_for(device)})
    codes = re.findall(r"<li>(\w+)</li>", codes_page.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("reviews:queue")).status_code == 200
    assert AuditRecord.objects.filter(action="otp_enrol", actor=officer).exists()


@pytest.fixture
def enrolled_officer():
    officer = UserFactory(organisation=BureauFactory())
    device = TOTPDevice.objects.create(user=officer, name="app", confirmed=True)
    return officer, device


def test_a_bureau_login_needs_a_valid_code(client, two_factor, enrolled_officer):
    officer, device = enrolled_officer
    password_login(client, officer)
    assert client.get(reverse("reviews:queue")).url == reverse("accounts:otp_verify")
    wrong = client.post(reverse("accounts:otp_verify"), {"code": "123456"})
    assert "验证码：验证码不正确" in wrong.content.decode()
    assert client.get(reverse("reviews:queue")).status_code == 302
    client.post(reverse("accounts:otp_verify"), {"code": code_for(device)})
    assert client.get(reverse("reviews:queue")).status_code == 200


def test_a_recovery_code_works_once(client, two_factor, enrolled_officer):
    officer, _device = enrolled_officer
    code = twofactor.new_recovery_codes(officer)[0]
    password_login(client, officer)
    client.post(reverse("accounts:otp_verify"), {"code": code})
    assert client.get(reverse("reviews:queue")).status_code == 200
    assert StaticToken.objects.filter(device__user=officer).count() == 9
    client.logout()
    password_login(client, officer)
    client.post(reverse("accounts:otp_verify"), {"code": code})
    assert client.get(reverse("reviews:queue")).url == reverse("accounts:otp_verify")


def test_wrong_codes_count_towards_the_lockout(client, two_factor, enrolled_officer):
    officer, device = enrolled_officer
    password_login(client, officer)
    for _ in range(4):
        client.post(reverse("accounts:otp_verify"), {"code": "000000"})
    locked = client.post(reverse("accounts:otp_verify"), {"code": "000001"})
    assert locked.status_code == 429
    assert AccessAttempt.objects.filter(username=officer.username).exists()
    failures = AuditRecord.objects.filter(action="login_failed", comment="动态验证码错误")
    assert failures.count() == 5
    # Locked: even the right password and code do not let the account in now.
    assert password_login(client, officer).status_code == 429


def test_two_factor_is_optional_for_a_unit(client, two_factor):
    clerk = UserFactory()
    password_login(client, clerk)
    assert client.get(reverse("home")).status_code == 200
    assert "未启用" in client.get(reverse("accounts:security")).content.decode()
    client.get(reverse("accounts:otp_enrol"))
    device = TOTPDevice.objects.get(user=clerk)
    client.post(reverse("accounts:otp_enrol"), {"code": code_for(device)})
    client.logout()
    password_login(client, clerk)
    assert client.get(reverse("home")).url == reverse("accounts:otp_verify")
    client.post(reverse("accounts:otp_verify"), {"code": code_for(device, offset=1)})
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:security"), {"action": "disable"})
    assert not TOTPDevice.objects.filter(user=clerk).exists()


def test_an_administrator_needs_two_factor_for_the_admin_site(client, two_factor, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).url == reverse("accounts:otp_enrol")


def test_an_uploaded_list_is_deleted_after_its_retention(client, district):
    client.force_login(UserFactory(organisation=BureauFactory()))
    upload(client, unit_rows(district, 2))
    batch = OnboardingBatch.objects.get()
    assert purge().others == {"批量导入名单": 0}
    later = timezone.now() + datetime.timedelta(days=onboarding.BATCH_RETENTION_DAYS + 1)
    report = purge(now=later)
    assert report.others == {"批量导入名单": 1} and "删除批量导入名单 1 份" in str(report)
    assert not OnboardingBatch.objects.filter(pk=batch.pk).exists()
