"""What a unit user sees and can do with 附件1 in the browser (server side)."""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from reviews.engine import notifications, workflow
from reviews.models import AuditRecord
from shanghai_experts.states import State

from .factories import ApplicationFactory, CompleteApplicationFactory, UnitFactory, UserFactory
from .forms_data import form_data


@pytest.fixture
def unit_client(login, unit_user):
    return login(unit_user)


def edit_url(app):
    return reverse("applications:edit", args=[app.pk])


def submit(client, app, data, **kwargs):
    """提交申报 as a unit clicks it: the edit page saves and opens the confirmation page,
    where the 信用承诺 is ticked (tests/test_confirmations.py)."""
    response = client.post(edit_url(app), data)
    if response.status_code != 302 or not response["Location"].endswith("/submit/"):
        return response
    app.refresh_from_db()
    return client.post(response["Location"], {"version": app.version, "pledge": "on"}, **kwargs)


def test_login_page_is_chinese(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "用户登录" in page and "用户名" in page and "密码" in page


def test_anonymous_users_are_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_shows_call_deadline_and_own_items(unit_client, call, unit):
    ApplicationFactory(call=call, unit=unit, name="我的服务团")
    ApplicationFactory(call=call, name="别人的服务团")
    page = unit_client.get(reverse("home")).content.decode()
    assert "沪人社专〔2026〕14号" in page
    assert timezone.localtime(call.unit_deadline).strftime("%Y年%-m月%-d日 %H:%M") in page
    assert "我的服务团" in page and "草稿" in page
    assert "别人的服务团" not in page


def test_create_twice_with_the_same_token_creates_one(unit_client, call, unit):
    token = str(uuid.uuid4())
    first = unit_client.post(reverse("applications:create"), {"token": token})
    second = unit_client.post(reverse("applications:create"), {"token": token})
    assert first["Location"] == second["Location"]
    assert Application.objects.filter(unit=unit).count() == 1


def test_create_refused_over_the_per_unit_limit(unit_client, call, unit):
    ApplicationFactory(call=call, unit=unit)
    response = unit_client.post(
        reverse("applications:create"), {"token": str(uuid.uuid4())}, follow=True
    )
    assert "每个申报单位本批次限报 1 个项目" in response.content.decode()
    assert Application.objects.filter(unit=unit).count() == 1


def test_draft_saves_partial_data(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    data = form_data(app, name="半成品服务团", mobile="138", action="save")
    data.update({"experts-TOTAL_FORMS": "1", "experts-0-name": "李四", "experts-0-title": "教授"})
    response = unit_client.post(edit_url(app), data, follow=True)
    assert "草稿已保存。" in response.content.decode()
    app.refresh_from_db()
    assert app.name == "半成品服务团"
    assert app.mobile == "138"  # kept as typed; checked on submission
    assert app.state == State.DRAFT
    assert list(app.experts.values_list("name", "title")) == [("李四", "教授")]


def test_malformed_input_is_refused_with_field_named_and_kept(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    data = form_data(app, name="我的服务团", budget_total="12.345", start_date="2026-13-01")
    data["action"] = "save"
    page = unit_client.post(edit_url(app), data).content.decode()
    assert "未保存" in page
    assert "项目经费预算金额（万元）：金额以万元为单位，最多保留 2 位小数。" in page
    assert "开始时间：输入一个有效的日期。" in page
    assert 'value="我的服务团"' in page and 'value="12.345"' in page
    app.refresh_from_db()
    assert app.name == ""


def test_submit_incomplete_shows_each_problem_on_its_field(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    expert = app.experts.get(name="王卫庆")
    data = form_data(app, mobile="1234", summary="简" * 201, action="submit")
    index = next(i for i in range(2) if data[f"experts-{i}-id"] == str(expert.pk))
    data[f"experts-{index}-title_level"] = "intermediate"
    page = unit_client.post(edit_url(app), data).content.decode()
    assert "草稿已保存，但未能提交" in page
    assert "手机：手机号码应为 11 位数字" in page
    assert "服务内容简介（不超过200字）：不超过 200 字（当前 201 字）。" in page
    assert (
        f"服务专家名单第 {index + 1} 行 王卫庆·职称级别：专家应具有副高级及以上专业技术职称。"
        in page
    )
    assert 'value="1234"' in page  # what was typed is still there
    app.refresh_from_db()
    assert app.state == State.DRAFT and app.mobile == "1234"


def test_submit_complete_application(
    unit_client, call, unit, mailoutbox, django_capture_on_commit_callbacks
):
    app = CompleteApplicationFactory(call=call, unit=unit)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(unit_client, app, form_data(app, action="submit"), follow=True)
    page = response.content.decode()
    assert f"已提交至{unit.district}" in page
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and app.submitted_at is not None
    record = AuditRecord.objects.get(object_id=app.pk)
    assert (record.action, record.from_state, record.to_state) == ("submit", "draft", "submitted")
    assert record.client_ip == "127.0.0.1"
    assert record.snapshot["name"] == "瑞金医院内分泌专家服务团"
    # One notice, sent as one message per recipient: nobody sees another's address.
    assert [len(message.to) for message in mailoutbox] == [1] * len(mailoutbox)
    recipients = sorted(message.to[0] for message in mailoutbox)
    told = workflow.TRANSITIONS["submit"].next_actor
    assert recipients == notifications.recipients(app, told) and len(recipients) == 2
    assert all(app.reference in message.body for message in mailoutbox)


def test_second_submit_click_changes_nothing(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    data = form_data(app, action="submit")
    submit(unit_client, app, data)
    again = unit_client.post(edit_url(app), data, follow=True)
    assert "不能修改" in again.content.decode()
    assert AuditRecord.objects.filter(object_id=app.pk).count() == 1


def test_submit_refused_after_the_deadline(unit_client, call, unit):
    call.unit_deadline = timezone.now() - datetime.timedelta(minutes=1)
    call.save()
    app = CompleteApplicationFactory(call=call, unit=unit)
    page = unit_client.post(edit_url(app), form_data(app, action="submit")).content.decode()
    assert "已过截止时间" in page
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_deadline_extension_lets_one_unit_submit(unit_client, call, unit, bureau):
    call.unit_deadline = timezone.now() - datetime.timedelta(minutes=1)
    call.save()
    call.extensions.create(
        organisation=unit, deadline=timezone.now() + datetime.timedelta(days=1), reason="系统故障"
    )
    app = CompleteApplicationFactory(call=call, unit=unit)
    submit(unit_client, app, form_data(app, action="submit"))
    app.refresh_from_db()
    assert app.state == State.SUBMITTED


def test_submit_refused_over_the_per_unit_limit(unit_client, call, unit, unit_user):
    first = CompleteApplicationFactory(call=call, unit=unit)
    second = CompleteApplicationFactory(call=call, unit=unit)
    workflow.transition(first, "submit", user=unit_user)
    page = unit_client.post(edit_url(second), form_data(second, action="submit")).content.decode()
    assert "每个申报单位本批次限报 1 个项目，本单位已提交 1 个，不能再提交。" in page
    second.refresh_from_db()
    assert second.state == State.DRAFT


def test_stale_form_does_not_overwrite_a_newer_save(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    stale = form_data(app, name="旧的名称", action="save")
    unit_client.post(edit_url(app), form_data(app, name="新的名称", action="save"))
    page = unit_client.post(edit_url(app), stale).content.decode()
    assert "本申报已在别处保存过或状态已变化" in page and 'value="旧的名称"' in page
    app.refresh_from_db()
    assert app.name == "新的名称"


def test_submitted_application_is_read_only_like_the_paper_form(unit_client, call, unit, unit_user):
    app = CompleteApplicationFactory(call=call, unit=unit)
    workflow.transition(app, "submit", user=unit_user)
    page = unit_client.get(app.get_absolute_url()).content.decode()
    assert "2026 年专家服务基层示范团项目申报表" in page
    assert (
        "覆盖 1 个地市、1 个区县，分别是：云南省文山壮族苗族自治州广南县（国家乡村振兴重点帮扶县）"
        in page
    )
    assert "☑ 国家级" in page and "☐ 市级" in page
    assert "已提交，待推荐单位受理" in page
    assert "继续填写" not in page
    response = unit_client.get(edit_url(app), follow=True)
    assert "不能修改" in response.content.decode()


@pytest.mark.parametrize("name", ["applications:detail", "applications:edit"])
def test_another_units_application_is_404(unit_client, call, name):
    foreign = CompleteApplicationFactory(call=call, unit=UnitFactory())
    assert unit_client.get(reverse(name, args=[foreign.pk])).status_code == 404
    assert unit_client.post(reverse(name, args=[foreign.pk]), {"action": "save"}).status_code == 404


def test_recommender_cannot_edit_or_see_drafts(login, call):
    app = CompleteApplicationFactory(call=call)
    district_user = UserFactory(organisation=app.unit.district)
    client = login(district_user)
    assert client.get(app.get_absolute_url()).status_code == 404
    assert client.get(edit_url(app)).status_code == 404


def test_home_query_count_is_constant(unit_client, call, unit, django_assert_num_queries):
    ApplicationFactory(call=call, unit=unit)
    unit_client.get(reverse("home"))  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as one:
        unit_client.get(reverse("home"))
    call.applications_per_unit = 5
    call.save()
    for _ in range(4):
        ApplicationFactory(call=call, unit=unit)
    with django_assert_num_queries(len(one)):
        page = unit_client.get(reverse("home")).content.decode()
    assert page.count("继续填写") == 5


def test_create_refused_after_the_deadline(unit_client, call, unit):
    call.unit_deadline = timezone.now() - datetime.timedelta(minutes=1)
    call.save()
    response = unit_client.post(
        reverse("applications:create"), {"token": str(uuid.uuid4())}, follow=True
    )
    page = response.content.decode()
    assert "本批次申报已截止，不能新建申报。" in page
    assert "新建服务团申报（附件1）" not in page
    assert not Application.objects.filter(unit=unit).exists()


def test_each_application_gets_its_own_blank_rows(client, call):
    """The blank row template is cached; it must still name its own application."""
    pages = {}
    for _ in range(2):
        unit = UnitFactory()
        app = CompleteApplicationFactory(call=call, unit=unit)
        client.force_login(UserFactory(organisation=unit))
        pages[app.pk] = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    for pk, page in pages.items():
        blank = page[page.index('<template class="formset-empty">') :]
        parent = re.search(r'name="experts-__prefix__-application" value="(\d+)"', blank)
        assert parent and int(parent.group(1)) == pk


def test_no_template_comment_leaks_into_the_page(client, call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "{#" not in page and "#}" not in page and "{%" not in page
