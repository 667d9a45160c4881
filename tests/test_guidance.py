"""What tells a clerk the next step: the reason of a return at the top of the page."""

import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from applications.models import Application
from applications.rules import FORM_SECTIONS
from reviews.engine import guidance, workflow
from reviews.models import AuditRecord
from shanghai_experts import visibility
from shanghai_experts.forms import Problem, section_status
from shanghai_experts.models import Organisation
from shanghai_experts.states import State
from shanghai_experts.text import half_width

from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CommissionFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data


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
    # The boxes changed since the return are marked on the item page.
    Application.objects.filter(pk=app.pk).update(service_count=5)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "退回后已修改：服务次数" in page


# --- what a Chinese input method types ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("１３８１２３４５６７８", "13812345678"), ("０２１－６３５８８８８８", "021-63588888")],
)
def test_full_width_digits_become_half_width(typed, stored):
    assert half_width(typed) == stored


def test_the_form_stores_phones_and_amounts_as_ascii(client, call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    data = form_data(
        app,
        mobile="１３８１２３４５６７８",
        office_phone="０２１－６４３７００４５",
        budget_total="２５．００",
    )
    response = client.post(reverse("applications:edit", args=[app.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Application.objects.get(pk=app.pk)
    assert (saved.mobile, saved.office_phone, saved.budget_total) == (
        "13812345678",
        "021-64370045",
        Decimal("25.00"),
    )
    assert saved.submission_problems() == []


def test_a_unified_code_is_stored_upper_case(db):
    unit = Organisation(
        kind="unit",
        name="小写代码单位",
        uscc="９１３１００００ｍａ０００００１ｘ",
        district=DistrictFactory(),
    )
    unit.clean()
    assert unit.uscc == "91310000MA000001X"


def test_an_internationalised_email_domain_is_accepted(call):
    app = CompleteApplicationFactory(call=call, email="zhang@例子.中国")
    assert not [p for p in app.submission_problems() if p.field == "email"]


def test_the_admin_speaks_chinese(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "登录防护" in page and "登录失败记录" in page
    assert "Access" not in page and ">Axes<" not in page


# --- autosave, as the server answers it -----------------------------------------------------


def test_autosave_saves_through_the_versioned_path_and_never_submits(client, call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    url = reverse("applications:edit", args=[app.pk])
    data = form_data(app, name="自动保存", action="autosave")
    answer = client.post(url, data).json()
    assert answer["status"] == "saved" and answer["version"] == app.version + 1
    assert answer["rows"]["experts"] == list(
        app.experts.order_by("position", "id").values_list("pk", flat=True)
    )
    saved = Application.objects.get(pk=app.pk)
    assert (saved.name, saved.state) == ("自动保存", "draft")
    # The same page again (its version now old): refused, nothing overwritten.
    stale = client.post(url, {**data, "name": "旧页面"})
    assert stale.status_code == 409 and stale.json()["status"] == "conflict"
    assert Application.objects.get(pk=app.pk).name == "自动保存"
    # A malformed box: named, not saved.
    fresh = form_data(
        Application.objects.get(pk=app.pk), start_date="2026-13-45", action="autosave"
    )
    invalid = client.post(url, fresh).json()
    assert invalid["status"] == "invalid" and "开始时间" in invalid["message"]


def test_keepalive_extends_the_session(client, settings, db):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(UserFactory())
    assert client.get(reverse("keepalive")).json() == {"ok": True, "seconds": 60}


# --- the notice, blank forms and the next step --------------------------------------------------


def test_the_notice_and_its_blank_forms_open_from_the_home_page(client, call):
    call.notice_text = "上海市人力资源和社会保障局\n\n关于组织申报的通知\n于2026年2月6日前函报"
    call.save()
    client.force_login(UserFactory())
    assert reverse("notice") in client.get(reverse("home")).content.decode()
    page = client.get(reverse("notice")).content.decode()
    assert "<p>关于组织申报的通知<br>于2026年2月6日前函报</p>" in page
    for form, title in (("1", "专家服务基层示范团项目申报表"), ("2", "专家服务基地动态管理表")):
        pdf = client.get(reverse("blank_form", args=[form])).content
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert title in text and "空白表样" in text
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get(reverse("blank_form", args=["3"])).streaming_content))
    ).active
    assert sheet["A1"].value == "2026年专家服务基层项目一览表" and sheet["A2"].value == "序号"
    assert client.get(reverse("blank_form", args=["9"])).status_code == 404


@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [
        (State.DRAFT, "unit", "完善表格后提交（截止"),
        (State.SUBMITTED, "unit", "受理前可撤回修改"),
        (State.SUBMITTED, "unit", "加盖单位公章"),
        (State.SUBMITTED, "recommender", "请受理，或写明意见退回修改（截止"),
        (State.UNDER_REVIEW, "recommender", "审核后推荐"),
        (State.RECOMMENDED, "recommender", "并注明联系人姓名、电话、手机；同时将电子版发送至"),
        (State.RECOMMENDED, "unit", "结果公布后会收到通知"),
        (State.MUNICIPAL_TEAM, "unit", "结果公布后会收到通知"),
        (State.RECOMMENDED, "bureau", "分配评审专家并评分"),
        (State.MUNICIPAL_TEAM, "bureau", "在“公布结果”公布前"),
    ],
)
def test_the_next_step_for_each_role_and_state(call, state, role, expected):
    call.bureau_email = "zjczjgz@163.com"
    call.save()
    app = CompleteApplicationFactory(call=call, state=state)
    organisation = {
        "unit": app.unit,
        "recommender": app.recommender,
        "bureau": BureauFactory(),
    }[role]
    steps = guidance.next_steps(app, organisation)
    assert any(expected in step for step in steps), steps
    if role == "recommender" and state == State.RECOMMENDED:
        assert any("zjczjgz@163.com" in step for step in steps)
    assert visibility.role_of(organisation, app) == role


def test_the_admin_keeps_the_login_names_case(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "#user-tools { text-transform: none; }" in page
    assert "<strong>admin</strong>" in page


def test_a_unit_records_its_commission_which_comes_next_when_choosing(client, call):
    unit = UnitFactory()
    other, own = CommissionFactory(), CommissionFactory()
    client.force_login(UserFactory(organisation=unit))
    client.post(reverse("my_organisation"), {"commission": own.pk})
    unit.refresh_from_db()
    assert unit.commission == own
    assert AuditRecord.objects.filter(action="organisation").exists()
    app = CompleteApplicationFactory(call=call, unit=unit)
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    district_at = page.index(f"{unit.district}（本区）")
    own_at = page.index(f"{own}（本单位行业主管部门）")
    assert district_at < own_at < page.index(f">{other}<")


def test_both_edit_pages_show_their_sections_with_what_is_left(client, call):
    unit = UnitFactory()
    client.force_login(UserFactory(organisation=unit))
    app = CompleteApplicationFactory(call=call, unit=unit, name="")
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    nav = page.split('data-testid="sections"')[1].split("</nav>")[0]
    assert (
        '一、基本信息 <span class="badge text-bg-warning" title="还有 1 处待完善">1</span>' in nav
    )
    assert '二、经费保障 <span class="text-success"' in nav
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit), activities="")
    page = client.get(reverse("bases:assessment_edit", args=[assessment.pk])).content.decode()
    nav = page.split('data-testid="sections"')[1].split("</nav>")[0]
    assert '二、开展专家服务活动情况 <span class="badge text-bg-warning"' in nav
    assert 'href="#sec-activities"' in nav and 'id="sec-activities"' in page


def test_a_problem_in_a_row_counts_in_its_lists_section():
    counts = dict(
        (anchor, n)
        for anchor, _title, n in section_status(
            [Problem("name", "此项为必填项。", "experts", 1), Problem("name", "必填")],
            FORM_SECTIONS,
        )
    )
    assert (counts["experts"], counts["basic"]) == (1, 1)
