"""Every consequential click is confirmed on a page of its own (issue 23): 提交申报 with a
preview and the 信用承诺, and what the confirmed submission records."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from bases.models import Assessment
from reviews import publication, reviewers, scoring
from reviews.engine import workflow
from reviews.models import AuditRecord, Publication, ReviewAssignment, ScoreSheet
from shanghai_experts.models import Organisation
from shanghai_experts.pledge import PLEDGE
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UserFactory,
)
from .forms_data import form_data
from .test_bases import form_data as assessment_form


@pytest.fixture
def unit_client(login, unit_user):
    return login(unit_user)


def text_of(response) -> str:
    """The page as a reader sees it: tags gone, whitespace collapsed."""
    return text_of_html(response.content.decode())


def records(item, action="submit"):
    return AuditRecord.objects.filter(object_id=item.pk, action=action, outcome="success")


# --- 提交申报 (附件1) -------------------------------------------------------------------------


def test_submit_from_the_edit_page_saves_the_edits_then_shows_the_preview(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    edit = reverse("applications:edit", args=[app.pk])
    data = form_data(app, name="改过名称的服务团", action="submit")
    response = unit_client.post(edit, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:submit", args=[app.pk])
    app.refresh_from_db()
    # The edits typed before the click are saved; nothing is submitted yet.
    assert (app.name, app.state) == ("改过名称的服务团", State.DRAFT)
    assert not records(app).exists()

    page = text_of(unit_client.get(response["Location"]))
    assert "确认提交申报" in page
    assert f"提交至 {unit.district}" in page
    assert "服务团名称 改过名称的服务团" in page
    assert "服务专家 2 人；领衔专家 宁光（主任医师）" in page
    assert f"预算 {app.budget_total}，申请资助 {app.requested_amount}" in page
    assert PLEDGE in page
    assert f"确认后，本申报表将提交至 {unit.district}" in page


def test_confirmed_submission_records_the_pledge_with_the_audit_record(
    unit_client, unit_user, call, unit, mailoutbox, django_capture_on_commit_callbacks
):
    app = CompleteApplicationFactory(call=call, unit=unit)
    url = reverse("applications:submit", args=[app.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = unit_client.post(url, {"version": app.version, "pledge": "on"}, follow=True)
    assert f"已提交至{unit.district}" in text_of(response)
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    record = records(app).get()
    assert (record.actor, record.organisation, record.from_state) == (unit_user, unit, "draft")
    assert record.comment == f"已勾选信用承诺：“{PLEDGE}”"
    assert record.snapshot["name"] == app.name
    # The history on the item's page shows who accepted it, when, and the wording.
    history = text_of(unit_client.get(app.get_absolute_url())).split("流转记录")[1]
    assert f"已勾选信用承诺：“{PLEDGE}”" in history
    assert "意见：已勾选信用承诺" not in history  # a pledge, not an opinion
    # The recommender's notice is about the submission, not the pledge.
    assert mailoutbox and all("信用承诺" not in m.body for m in mailoutbox)


def test_the_pledge_must_be_ticked(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    url = reverse("applications:submit", args=[app.pk])
    page = text_of(unit_client.post(url, {"version": app.version}))
    assert "未提交：信用承诺：请阅读并勾选信用承诺后再提交。" in page
    assert "确认提交申报" in page and PLEDGE in page  # the preview is still there
    app.refresh_from_db()
    assert app.state == State.DRAFT and not records(app).exists()


def test_the_pledge_box_error_is_on_the_box(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    url = reverse("applications:submit", args=[app.pk])
    html = unit_client.post(url, {"version": app.version}).content.decode()
    box = re.search(r"<input[^>]+id=\"pledge\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in box and "is-invalid" in box
    assert '<div class="invalid-feedback" id="pledge-error">信用承诺：请阅读并勾选' in html


def test_a_preview_of_an_older_version_is_refused(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    url = reverse("applications:submit", args=[app.pk])
    seen = app.version
    # Saved again in another tab after the preview was opened.
    edit = reverse("applications:edit", args=[app.pk])
    unit_client.post(edit, form_data(app, name="另一个标签页的名称", action="save"))
    response = unit_client.post(url, {"version": seen, "pledge": "on"}, follow=True)
    page = text_of(response)
    assert "未提交：您打开确认页后，申报表又保存过" in page
    assert "服务团名称 另一个标签页的名称" in page  # the preview shows what would now be sent
    app.refresh_from_db()
    assert app.state == State.DRAFT and not records(app).exists()


def test_an_incomplete_form_never_reaches_the_confirmation(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit, mobile="1234")
    page = text_of(unit_client.get(reverse("applications:submit", args=[app.pk])))
    assert "草稿已保存，但未能提交：申报表还有 1 处需要完善" in page
    assert "手机：手机号码应为 11 位数字" in page
    assert "确认提交申报" not in page


def test_another_units_confirmation_page_is_not_found(login, call, unit):
    app = CompleteApplicationFactory(call=call)
    client = login(UserFactory(organisation=unit))
    assert client.get(reverse("applications:submit", args=[app.pk])).status_code == 404
    assert client.post(reverse("applications:submit", args=[app.pk])).status_code == 404


def test_the_workflow_refuses_a_pledge_of_other_words(call, unit, unit_user):
    app = CompleteApplicationFactory(call=call, unit=unit)
    with pytest.raises(workflow.WorkflowError, match="信用承诺的文字与系统规定的不一致"):
        workflow.transition(app, "submit", user=unit_user, params={"pledge": "我承诺"})
    assert Application.objects.get(pk=app.pk).state == State.DRAFT


# --- 附件2 ------------------------------------------------------------------------------------


def test_assessment_submission_is_confirmed_with_the_pledge(unit_client, unit_user, call, unit):
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    edit = reverse("bases:assessment_edit", args=[assessment.pk])
    response = unit_client.post(edit, assessment_form(assessment, region="崇明区", action="submit"))
    url = reverse("bases:assessment_submit", args=[assessment.pk])
    assert response.status_code == 302 and response["Location"] == url
    assessment.refresh_from_db()
    assert (assessment.region, assessment.state) == ("崇明区", State.DRAFT)

    page = text_of(unit_client.get(url))
    assert "确认提交专家服务基地动态管理表" in page
    assert f"提交至 {assessment.recommender}" in page and "服务的区域 崇明区" in page
    assert PLEDGE in page

    page = text_of(unit_client.post(url, {"version": assessment.version}))
    assert "未提交：信用承诺：请阅读并勾选信用承诺后再提交。" in page
    assert Assessment.objects.get(pk=assessment.pk).state == State.DRAFT

    unit_client.post(url, {"version": assessment.version, "pledge": "on"})
    assessment.refresh_from_db()
    assert assessment.state == State.SUBMITTED
    assert records(assessment).get().comment == f"已勾选信用承诺：“{PLEDGE}”"


def test_assessment_preview_of_an_older_version_is_refused(unit_client, call, unit):
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    url = reverse("bases:assessment_submit", args=[assessment.pk])
    page = text_of(
        unit_client.post(url, {"version": assessment.version - 1, "pledge": "on"}, follow=True)
    )
    assert "未提交：您打开确认页后，本表又保存过" in page
    assert Assessment.objects.get(pk=assessment.pk).state == State.DRAFT


# --- 人社部批准: the 文号 and date ---------------------------------------------------------------


@pytest.fixture
def bureau_user(db):
    return UserFactory(organisation=BureauFactory())


def national_candidate(call, bureau_user, name="国家级候选服务团"):
    app = CompleteApplicationFactory(call=call, name=name)
    unit_user = UserFactory(organisation=app.unit)
    district = UserFactory(organisation=app.recommender)
    workflow.transition(app, "submit", user=unit_user)
    workflow.transition(app, "accept", user=district)
    workflow.transition(app, "recommend", user=district, comment="同意")
    return workflow.transition(app, "select_national", user=bureau_user)


def test_mohrss_approval_asks_for_the_document(client, call, bureau_user):
    app = national_candidate(call, bureau_user)
    client.force_login(bureau_user)
    url = reverse("reviews:act", args=[app.pk, "mohrss_approve"])
    page = text_of(client.get(url))
    assert "人社部批准文号（必填）" in page and "批准日期（必填）" in page
    assert Application.objects.get(pk=app.pk).state == State.NATIONAL_CANDIDATE

    page = text_of(client.post(url, {"version": app.version}))
    assert "人社部批准文号：请填写人社部批准文件的文号，例如 人社厅函〔2026〕58号。" in page
    assert "批准日期：请填写人社部批准文件的日期。" in page
    assert Application.objects.get(pk=app.pk).state == State.NATIONAL_CANDIDATE


@pytest.mark.parametrize(
    ("number", "date", "message"),
    [
        ("58号", "2026-05-10", "人社部批准文号：格式应为“发文机关代字〔年份〕序号号”"),
        ("人社厅函〔2025〕58号", "2026-05-10", "文号中的年份（2025）与批准日期的年份不一致"),
        ("人社厅函〔2099〕58号", "2099-05-10", "批准日期：不能晚于今天。"),
        ("人社厅函〔2020〕58号", "2020-05-10", "批准日期：应在 2025 年以后，请核对日期。"),
    ],
)
def test_a_wrong_document_is_refused_and_kept(client, call, bureau_user, number, date, message):
    app = national_candidate(call, bureau_user)
    client.force_login(bureau_user)
    url = reverse("reviews:act", args=[app.pk, "mohrss_approve"])
    html = client.post(
        url, {"version": app.version, "document_number": number, "approved_on": date}
    ).content.decode()
    assert message in text_of_html(html)
    assert f'value="{number}"' in html and f'value="{date}"' in html  # kept as typed
    app.refresh_from_db()
    assert (app.state, app.mohrss_document_number) == (State.NATIONAL_CANDIDATE, "")


def text_of_html(html: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ?([：，。；（）]) ?", r"\1", text)  # no space around Chinese punctuation


def test_the_approval_is_recorded_on_the_item_and_in_the_history(client, call, bureau_user):
    app = national_candidate(call, bureau_user)
    publication.publish(call=call, stage="selection", user=bureau_user)
    app.refresh_from_db()
    client.force_login(bureau_user)
    url = reverse("reviews:act", args=[app.pk, "mohrss_approve"])
    # Typed with an input method's brackets: stored with the official 〔〕.
    client.post(
        url,
        {
            "version": app.version,
            "document_number": "人社厅函[2026]58号",
            "approved_on": "2026-05-10",
        },
    )
    app.refresh_from_db()
    assert app.state == State.NATIONAL_TEAM
    assert (app.mohrss_document_number, str(app.mohrss_approved_on)) == (
        "人社厅函〔2026〕58号",
        "2026-05-10",
    )
    record = records(app, "mohrss_approve").get()
    assert record.comment == "人社部批准文号：人社厅函〔2026〕58号；批准日期：2026-05-10"
    page = text_of(client.get(app.get_absolute_url()))
    assert "人社部批准文号：人社厅函〔2026〕58号（2026年5月10日批准）" in page
    assert "人社部批准文号：人社厅函〔2026〕58号；批准日期：2026-05-10" in page.split("流转记录")[1]

    # The unit reads it only once the national result is published.
    client.force_login(UserFactory(organisation=app.unit))
    assert "人社厅函〔2026〕58号" not in text_of(client.get(app.get_absolute_url()))
    publication.publish(call=call, stage="national", user=bureau_user)
    assert "人社部批准文号：人社厅函〔2026〕58号（2026年5月10日批准）" in text_of(
        client.get(app.get_absolute_url())
    )


# --- bulk decisions -----------------------------------------------------------------------------


def recommended(call, name):
    app = CompleteApplicationFactory(call=call, name=name)
    district = UserFactory(organisation=app.recommender)
    workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
    workflow.transition(app, "accept", user=district)
    return workflow.transition(app, "recommend", user=district, comment="同意")


def score(app, *marks):
    """Each mark a reviewer of the bureau: every criterion at that share of its maximum."""
    criteria = list(app.call.criteria.all())
    for share in marks:
        scoring.record_scores(
            app,
            reviewer=UserFactory(organisation=BureauFactory()),
            points={c.pk: Decimal(c.max_points) * Decimal(share) for c in criteria},
        )
    app.refresh_from_db()
    return app


@pytest.fixture
def scored(call):
    call.applications_per_unit = call.recommender_quota = 5
    call.save()
    return {
        "agreed": score(recommended(call, "意见一致服务团"), "0.8", "0.75"),
        "disputed": score(recommended(call, "分歧服务团"), "0.9", "0.3"),  # spread 60 > 20
        "alone": score(recommended(call, "一人评分服务团"), "0.8"),
    }


def test_bulk_decision_is_confirmed_with_warnings_first(client, call, bureau_user, scored):
    client.force_login(bureau_user)
    apps = list(scored.values())
    chosen = {"bulk_action": "select_municipal", "selected": [a.pk for a in apps]}
    page = text_of(client.post(reverse("reviews:queue"), chosen))
    assert "确认：对 3 个项目列入市级服务团" in page
    assert "以下 2 个项目的评分建议先复核，再列入市级服务团：" in page
    assert f"{scored['disputed']}：评分分歧大（极差 60，超过 20）" in page
    assert f"{scored['alone']}：仅 1 位评审人评分" in page
    assert f"{scored['agreed']}：" not in page
    # The first POST changes nothing.
    assert set(Application.objects.values_list("state", flat=True)) == {State.RECOMMENDED}
    assert not AuditRecord.objects.filter(action="select_municipal").exists()

    versions = {f"version-application-{a.pk}": a.version for a in apps}
    page = text_of(
        client.post(reverse("reviews:queue"), {**chosen, **versions, "confirmed": "1"}, follow=True)
    )
    assert "已列入市级服务团 3 个项目。" in page
    assert set(Application.objects.values_list("state", flat=True)) == {State.MUNICIPAL_TEAM}
    assert AuditRecord.objects.filter(action="select_municipal", outcome="success").count() == 3


def test_bulk_decision_refuses_an_item_changed_since_the_confirmation(
    client, call, bureau_user, scored
):
    client.force_login(bureau_user)
    agreed, disputed = scored["agreed"], scored["disputed"]
    versions = {f"version-application-{a.pk}": a.version for a in (agreed, disputed)}
    # Someone else decides one of them after the confirmation page was opened.
    workflow.transition(disputed, "select_national", user=bureau_user)
    workflow.transition(
        Application.objects.get(pk=disputed.pk), "revoke_decision", user=bureau_user, comment="重议"
    )
    page = text_of(
        client.post(
            reverse("reviews:queue"),
            {
                "bulk_action": "select_municipal",
                "selected": [agreed.pk, disputed.pk],
                "confirmed": "1",
                **versions,
            },
            follow=True,
        )
    )
    assert "已列入市级服务团 1 个项目。" in page
    assert f"未能列入市级服务团：{disputed}：您打开页面后，本项目已被他人处理" in page
    assert Application.objects.get(pk=disputed.pk).state == State.RECOMMENDED


def test_bulk_decline_asks_the_reason_on_the_confirmation_and_keeps_it(
    client, call, bureau_user, scored
):
    client.force_login(bureau_user)
    app = scored["agreed"]
    chosen = {
        "bulk_action": "decline",
        "selected": [app.pk],
        f"version-application-{app.pk}": app.version,
        "confirmed": "1",
    }
    html = client.post(reverse("reviews:queue"), {**chosen, "bulk_comment": "  "}).content.decode()
    assert "“不予入选”须填写意见（理由，各项共用）。" in html
    assert Application.objects.get(pk=app.pk).state == State.RECOMMENDED
    client.post(reverse("reviews:queue"), {**chosen, "bulk_comment": "名额有限"})
    assert Application.objects.get(pk=app.pk).state == State.NOT_SELECTED
    assert records(app, "decline").get().comment == "名额有限"


def test_bulk_accept_is_confirmed(client, call):
    apps = []
    for _ in range(2):
        app = CompleteApplicationFactory(call=call)
        apps.append(workflow.transition(app, "submit", user=UserFactory(organisation=app.unit)))
    district = apps[0].recommender
    Application.objects.filter(pk=apps[1].pk).update(recommender=district)
    client.force_login(UserFactory(organisation=district))
    chosen = {"bulk_action": "accept", "selected": [a.pk for a in apps]}
    page = text_of(client.post(reverse("reviews:queue"), chosen))
    assert "确认：对 2 个项目受理" in page and "受理后申报单位不能再撤回" in page
    assert set(Application.objects.values_list("state", flat=True)) == {State.SUBMITTED}
    versions = {f"version-application-{a.pk}": a.version for a in apps}
    client.post(reverse("reviews:queue"), {**chosen, **versions, "confirmed": "1"})
    assert set(Application.objects.values_list("state", flat=True)) == {State.UNDER_REVIEW}


# --- 公布结果 -----------------------------------------------------------------------------------


def test_publication_preview_warns_about_scores_and_refuses_a_stale_preview(
    client, call, bureau_user, scored
):
    for app in scored.values():
        workflow.transition(app, "select_municipal", user=bureau_user)
    client.force_login(bureau_user)
    page = text_of(client.get(reverse("reviews:publish")))
    assert "以下 2 个项目的评分建议公布前复核：" in page
    assert f"{scored['disputed']}（列入市级服务团）：评分分歧大（极差 60，超过 20）" in page
    assert f"{scored['alone']}（列入市级服务团）：仅 1 位评审人评分" in page
    assert "确认公布以上 3 个结果（含 2 个待复核）" in page
    token = publication.preview(call, "selection").token

    # A decision changed after the preview: the confirmation is refused.
    workflow.transition(scored["alone"], "revoke_decision", user=bureau_user, comment="复核")
    workflow.transition(
        Application.objects.get(pk=scored["alone"].pk), "decline", user=bureau_user, comment="复核"
    )
    page = text_of(
        client.post(reverse("reviews:publish"), {"stage": "selection", "seen": token}, follow=True)
    )
    assert "未公布：您预览之后，待公布的结果有变化" in page
    assert not Publication.objects.exists()
    fresh = publication.preview(call, "selection").token
    client.post(reverse("reviews:publish"), {"stage": "selection", "seen": fresh})
    assert Publication.objects.get().items == 3


def test_national_stage_lists_the_items_waiting_for_the_ministry(client, call, bureau_user):
    call.applications_per_unit = call.recommender_quota = 5
    call.save()
    waiting = national_candidate(call, bureau_user, "待人社部结果服务团")
    approved = national_candidate(call, bureau_user, "人社部已批准服务团")
    publication.publish(call=call, stage="selection", user=bureau_user)
    workflow.transition(
        Application.objects.get(pk=approved.pk),
        "mohrss_approve",
        user=bureau_user,
        params={
            "document_number": "人社厅函〔2026〕58号",
            "approved_on": datetime.date(2026, 5, 10),
        },
    )
    client.force_login(bureau_user)
    page = text_of(client.get(reverse("reviews:publish"), {"stage": "national"}))
    assert "还有 1 个拟推荐国家级的项目尚未登记人社部结果。" in page
    waiting_list = page.split("尚未登记人社部结果的项目（1 个）")[1].split("将公布")[0]
    assert str(waiting) in waiting_list and waiting.reference in waiting_list
    assert str(approved) not in waiting_list


# --- 评审专家: 提交评分 and 申请回避 ------------------------------------------------------------


@pytest.fixture
def expert(db):
    org = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="市人社局评审专家组")
    return UserFactory(organisation=org, username="expert-confirm", first_name="评审甲")


@pytest.fixture
def assigned(call, expert, bureau_user):
    app = recommended(call, "待评审服务团")
    reviewers.assign([app], [expert], user=bureau_user)
    return app


def sheet(call, marks: list[str], **extra):
    criteria = list(call.criteria.all())
    return {**{f"criterion-{c.pk}": m for c, m in zip(criteria, marks, strict=True)}, **extra}


def test_submitting_a_score_sheet_is_confirmed_with_its_total(client, call, expert, assigned):
    client.force_login(expert)
    url = reverse("reviews:review", args=[assigned.pk])
    client.post(url, {"action": "declare"})
    marks = ["8", "9", "7.5", "10", "6"]  # weights 20, 25, 25, 20, 10
    typed = sheet(call, marks, action="submit", version="0", comment="方案扎实\n经费略高")
    page = text_of(client.post(url, typed))
    assert "确认：提交评分" in page and "提交后评分不能再修改" in page
    assert "需求精准度 20% 10 8" in page and "经费合理性 10% 10 6" in page
    # (8×20 + 9×25 + 7.5×25 + 10×20 + 6×10) / 10 = 83.25
    assert "加权得分（百分制）83.25" in page
    assert "评审意见：方案扎实 经费略高" in page
    assert not ScoreSheet.objects.exists()  # the first POST saves nothing

    # 返回修改: the sheet again with what was typed, still nothing saved.
    back = client.post(url, {**typed, "action": "back", "confirmed": "1"}).content.decode()
    assert 'value="7.5"' in back and "方案扎实\n经费略高</textarea>" in back
    assert not ScoreSheet.objects.exists()

    page = text_of(client.post(url, {**typed, "confirmed": "1"}, follow=True))
    assert "评分已提交。" in page
    saved = ScoreSheet.objects.get()
    assert (saved.total, saved.submitted_at is not None) == (Decimal("83.25"), True)
    assert saved.comment == "方案扎实\n经费略高"
    assert records(assigned, "score").get().comment == "加权得分 83.25"


def test_a_sheet_saved_elsewhere_after_the_confirmation_is_refused(client, call, expert, assigned):
    client.force_login(expert)
    url = reverse("reviews:review", args=[assigned.pk])
    client.post(url, {"action": "declare"})
    confirm = sheet(call, ["8"] * 5, action="submit", version="0", confirmed="1")
    client.post(url, sheet(call, ["5"] * 5, action="save", version="0"))  # another tab
    page = text_of(client.post(url, confirm, follow=True))
    assert "评分未保存：评分表在您打开页面后已在别处保存过" in page
    saved = ScoreSheet.objects.get()
    assert saved.submitted_at is None and saved.total == Decimal("50.00")


def test_a_sheet_with_errors_never_reaches_the_confirmation(client, call, expert, assigned):
    client.force_login(expert)
    url = reverse("reviews:review", args=[assigned.pk])
    client.post(url, {"action": "declare"})
    page = text_of(client.post(url, sheet(call, ["8", "", "7", "7", "7"], action="submit")))
    assert "确认：提交评分" not in page and "方案可行性：请填写得分。" in page


def test_recusal_is_confirmed_with_its_consequence(client, call, expert, assigned):
    client.force_login(expert)
    url = reverse("reviews:review", args=[assigned.pk])
    page = text_of(client.post(url, {"action": "recuse"}))
    assert "确认：申请回避" in page and "回避不能撤销" in page
    assignment = ReviewAssignment.objects.get()
    assert assignment.declaration == ""  # nothing changed yet
    client.post(url, {"action": "recuse", "confirmed": "1"})
    assignment.refresh_from_db()
    assert assignment.declaration == ReviewAssignment.Declaration.RECUSED
    recusals = records(assigned, "assign_reviewer").filter(action_label="评审专家申请回避")
    assert recusals.get().actor == expert


def test_a_recusal_confirmed_after_a_declaration_elsewhere_is_refused(
    client, call, expert, assigned
):
    client.force_login(expert)
    url = reverse("reviews:review", args=[assigned.pk])
    client.post(url, {"action": "recuse"})  # the confirmation page opens …
    client.post(url, {"action": "declare"})  # … while another tab declares no conflict
    page = text_of(client.post(url, {"action": "recuse", "confirmed": "1"}, follow=True))
    assert "已作出声明，不能更改" in page
    assert ReviewAssignment.objects.get().declaration == ReviewAssignment.Declaration.NONE


# --- 书面材料 receipts ------------------------------------------------------------------------


def test_a_recommenders_paper_receipt_is_confirmed_with_its_items(client, call, bureau_user):
    call.applications_per_unit = call.recommender_quota = 5
    call.save()
    first = recommended(call, "甲服务团")
    district = first.recommender
    client.force_login(bureau_user)
    chosen = {"recommender": district.pk, "received_on": "2026-02-05"}
    page = text_of(client.post(reverse("reviews:paper"), chosen))
    assert f"将登记 {district} 的书面材料于 2026年2月5日 收到" in page
    assert f"{first.reference} 甲服务团" in page
    assert Application.objects.get(pk=first.pk).paper_received_on is None  # nothing yet
    assert not AuditRecord.objects.filter(action="paper_received").exists()
    html = client.post(reverse("reviews:paper"), chosen).content.decode()
    seen = re.search(r'name="seen" value="([^"]*)"', html).group(1)

    # A stale confirmation: another item of the district's arrives in its list meanwhile.
    second = recommended(call, "乙服务团")
    Application.objects.filter(pk=second.pk).update(recommender=district, recommender_rank=2)
    page = text_of(
        client.post(
            reverse("reviews:paper"), {**chosen, "confirmed": "1", "seen": seen}, follow=True
        )
    )
    assert f"未登记：{district} 待登记的项目在您打开确认页后有变化" in page
    assert not Application.objects.filter(paper_received_on__isnull=False).exists()

    html = client.post(reverse("reviews:paper"), chosen).content.decode()
    seen = re.search(r'name="seen" value="([^"]*)"', html).group(1)
    page = text_of(
        client.post(
            reverse("reviews:paper"), {**chosen, "confirmed": "1", "seen": seen}, follow=True
        )
    )
    assert f"已登记：{district} 的书面材料于 2026-02-05 收到（2 个项目）。" in page
    assert AuditRecord.objects.filter(action="paper_received", outcome="success").count() == 1


def test_one_items_paper_receipt_is_confirmed(client, call, bureau_user):
    app = recommended(call, "丙服务团")
    client.force_login(bureau_user)
    url = reverse("reviews:item_paper", args=[app.pk])
    page = text_of(client.post(url, {"received_on": "2026-02-06"}))
    assert (
        "确认：登记书面材料已收到" in page and "将登记本项目的书面材料于 2026年2月6日 收到" in page
    )
    assert Application.objects.get(pk=app.pk).paper_received_on is None

    client.post(url, {"received_on": "2026-02-06", "confirmed": "1", "seen": ""})
    assert str(Application.objects.get(pk=app.pk).paper_received_on) == "2026-02-06"
    # A second confirmation opened before that mark is stale.
    page = text_of(
        client.post(url, {"received_on": "2026-02-07", "confirmed": "1", "seen": ""}, follow=True)
    )
    assert "未登记：本项目的书面材料登记在您打开确认页后已有变化" in page
    assert str(Application.objects.get(pk=app.pk).paper_received_on) == "2026-02-06"

    page = text_of(client.post(url, {"clear": "1"}))
    assert "确认：撤销书面材料登记" in page and "原登记 2026年2月6日 收到" in page
    client.post(url, {"clear": "1", "confirmed": "1", "seen": "2026-02-06"})
    assert Application.objects.get(pk=app.pk).paper_received_on is None


# --- 整改报告 ------------------------------------------------------------------------------------


def test_the_rectification_report_is_confirmed_with_the_pledge(client, call, unit, unit_user):
    item = AssessmentFactory(
        call=call, base=BaseFactory(host_unit=unit), state=State.RECTIFYING, rectification_report=""
    )
    client.force_login(unit_user)
    report = reverse("bases:rectification", args=[item.pk])
    response = client.post(
        report,
        {"rectification_report": "已修订管理办法。", "version": item.version, "action": "submit"},
    )
    url = reverse("reviews:rectification_submit", args=[item.pk])
    assert response["Location"] == url
    item.refresh_from_db()
    assert (item.state, item.rectification_report) == (State.RECTIFYING, "已修订管理办法。")

    page = text_of(client.get(url))
    assert "确认提交整改报告" in page and "将要提交的整改报告" in page
    assert "已修订管理办法。" in page and "确认后，整改报告将提交至 市人社局" in page
    page = text_of(client.post(url, {"version": item.version}))
    assert "未提交：信用承诺：请阅读并勾选信用承诺后再提交。" in page
    page = text_of(client.post(url, {"version": item.version - 1, "pledge": "on"}, follow=True))
    assert "未提交：您打开确认页后，整改报告又保存过" in page
    assert Assessment.objects.get(pk=item.pk).state == State.RECTIFYING

    client.post(url, {"version": item.version, "pledge": "on"})
    item.refresh_from_db()
    assert item.state == State.RECTIFICATION_SUBMITTED
    record = records(item, "submit_rectification").get()
    assert record.comment == f"已修订管理办法。\n已勾选信用承诺：“{PLEDGE}”"


def test_another_units_rectification_confirmation_is_not_found(client, call, unit_user):
    item = AssessmentFactory(call=call, state=State.RECTIFYING)
    client.force_login(unit_user)
    url = reverse("reviews:rectification_submit", args=[item.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": item.version, "pledge": "on"}).status_code == 404


def test_a_bulk_action_takes_at_most_a_hundred_items(client, call, bureau_user, scored):
    client.force_login(bureau_user)
    ids = [scored["agreed"].pk, *range(10**6, 10**6 + 100)]
    with CaptureQueriesContext(connection) as queries:
        page = text_of(
            client.post(
                reverse("reviews:queue"),
                {"bulk_action": "select_municipal", "selected": ids},
                follow=True,
            )
        )
    assert "一次最多可列入市级服务团 100 个项目，请分批勾选。" in page
    assert not any("applications_application" in q["sql"] and "IN (" in q["sql"] for q in queries)
    assert Application.objects.get(pk=scored["agreed"].pk).state == State.RECOMMENDED
