"""附件2: each box's rule, the bureau's outcomes, scoping and the priority flag."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from bases import rules
from bases.choices import HostType
from bases.forms import RectificationForm
from bases.models import Assessment, Base
from reviews.engine import workflow
from reviews.models import AuditRecord
from reviews.views import queue as queue_views
from shanghai_experts.forms import StaleVersion
from shanghai_experts.models import Call
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data as app_form


def problems_of(assessment):
    return {p.field: p.message for p in assessment.submission_problems()}


@pytest.fixture
def assessment(db, call):
    return AssessmentFactory(call=call)


@pytest.fixture
def people(assessment):
    unit = assessment.unit
    return {
        "unit": UserFactory(organisation=unit),
        "recommender": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory()),
        "other_unit": UserFactory(organisation=UnitFactory()),
        "other_recommender": UserFactory(organisation=UnitFactory().district),
    }


# --- each box ------------------------------------------------------------------------------


def test_complete_form_has_no_problems(assessment):
    assert assessment.submission_problems() == []


@pytest.mark.parametrize("field", rules.REQUIRED_FIELDS)
def test_every_box_is_required(assessment, field):
    empty = {"host_types": [], "activity_count": None}.get(field, "")
    setattr(assessment, field, None if field.endswith("experts") else empty)
    expected = "请至少勾选一项。" if field == "host_types" else "此项为必填项。"
    assert problems_of(assessment)[field] == expected


def test_other_host_type_needs_its_name(assessment):
    assessment.host_types = [HostType.HIGH_TECH_FIRM, HostType.OTHER]
    assert "host_type_other" in problems_of(assessment)
    assessment.host_type_other = "医疗联合体"
    assert "host_type_other" not in problems_of(assessment)


def test_expert_counts(assessment):
    assessment.own_experts, assessment.external_experts = 0, 0
    assert problems_of(assessment)["own_experts"] == "对口联系专家（副高及以上职称）合计至少 1 人。"
    assessment.own_experts, assessment.external_experts = 0, 1
    assert problems_of(assessment) == {}


@pytest.mark.parametrize("field", ["activities", "three_year_plan"])
def test_items_3_and_5_at_most_1000_characters(assessment, field):
    setattr(assessment, field, "字" * 999 + "A")  # a Latin letter counts as one
    assert field not in problems_of(assessment)
    setattr(assessment, field, "\n" + "字" * 1001 + "  ")
    assert problems_of(assessment)[field] == "不超过 1000 字（当前 1001 字）。"


def test_other_items_have_no_limit(assessment):
    assessment.system_building = "字" * 3000
    assert problems_of(assessment) == {}


@pytest.mark.parametrize(
    ("field", "bad", "good"),
    [
        ("office_phone", "63588888", "021-63588888"),
        ("mobile", "1381234567", "13812345678"),
        ("email", "liming@", "liming@example.org"),
    ],
)
def test_contact_formats(assessment, field, bad, good):
    setattr(assessment, field, bad)
    assert field in problems_of(assessment)
    setattr(assessment, field, good)
    assert field not in problems_of(assessment)


def test_recommender_is_the_district_or_a_commission_not_the_bureau(assessment):
    assessment.recommender = BureauFactory()
    assert problems_of(assessment)["recommender"] == "只能提交本单位所在区人社局或行业主管部门。"
    assessment.recommender = None
    assert problems_of(assessment)["recommender"] == "请选择推荐单位。"


# --- the unit's form in the browser's place ---------------------------------------------


def form_data(assessment, **overrides):
    data = {
        name: "" if getattr(assessment, name) is None else getattr(assessment, name)
        for name in [
            *Assessment.CONTACT_FIELDS,
            "system_building",
            "flexible_talent",
            "activities",
            "funding_use",
            "three_year_plan",
            "activity_count",
            "list_summary",
            "list_goal",
            "applicant_opinion",
        ]
    }
    data["recommender"] = assessment.recommender_id or ""
    data["version"] = assessment.version
    data.update(overrides)
    return data


def test_unit_saves_a_partial_draft_then_submits(client, assessment, people):
    client.force_login(people["unit"])
    url = reverse("bases:assessment_edit", args=[assessment.pk])
    page = client.post(
        url, form_data(assessment, activities="", mobile="", action="save"), follow=True
    )
    assert "草稿已保存。" in page.content.decode()
    assessment.refresh_from_db()
    assert assessment.activities == "" and assessment.state == State.DRAFT
    page = client.post(url, form_data(assessment, action="submit")).content.decode()
    assert "未能提交" in page
    assert "3. 近年来开展专家服务活动情况及成效：此项为必填项。" in page
    assert "手机：此项为必填项。" in page
    assessment.refresh_from_db()
    data = form_data(assessment, activities="开展服务活动24次。", mobile="13812345678")
    confirm = client.post(url, {**data, "action": "submit"})
    # Saved, then confirmed on its own page with the 信用承诺 (tests/test_confirmations.py).
    assert confirm["Location"] == reverse("bases:assessment_submit", args=[assessment.pk])
    assessment.refresh_from_db()
    assert assessment.state == State.DRAFT
    page = client.post(
        confirm["Location"], {"version": assessment.version, "pledge": "on"}, follow=True
    ).content.decode()
    assessment.refresh_from_db()
    assert assessment.state == State.SUBMITTED
    assert f"已提交至{assessment.recommender}" in page


def test_malformed_input_is_kept_and_named(client, assessment, people):
    client.force_login(people["unit"])
    url = reverse("bases:assessment_edit", args=[assessment.pk])
    page = client.post(
        url, form_data(assessment, own_experts="十二", flexible_talent="新的表述", action="save")
    ).content.decode()
    assert "本单位专家（人）：请输入整数，例如 5。" in page
    assert 'value="十二"' in page and "新的表述" in page
    assessment.refresh_from_db()
    assert assessment.flexible_talent != "新的表述"


def test_a_stale_form_is_refused_with_the_typed_text_kept(client, assessment, people):
    client.force_login(people["unit"])
    url = reverse("bases:assessment_edit", args=[assessment.pk])
    stale = form_data(assessment, funding_use="我写的经费情况", action="save")
    client.post(url, form_data(assessment, action="save"))  # someone else saved first
    page = client.post(url, stale).content.decode()
    assert "本表已在别处保存过或状态已变化" in page and "我写的经费情况" in page
    assessment.refresh_from_db()
    assert assessment.funding_use != "我写的经费情况"


# --- outcomes ------------------------------------------------------------------------------


def recommended(assessment, people):
    item = workflow.transition(assessment, "submit", user=people["unit"])
    item = workflow.transition(item, "accept", user=people["recommender"])
    return workflow.transition(item, "recommend", user=people["recommender"], comment="同意")


def test_rectification_needs_a_future_deadline(assessment, people):
    item = recommended(assessment, people)
    bureau = people["bureau"]
    with pytest.raises(workflow.WorkflowError, match="限期整改须填写整改期限"):
        workflow.transition(item, "require_rectification", user=bureau, comment="制度不健全")
    with pytest.raises(workflow.WorkflowError, match="整改期限须晚于今天"):
        workflow.transition(
            item,
            "require_rectification",
            user=bureau,
            comment="制度不健全",
            params={"deadline": timezone.localdate()},
        )
    with pytest.raises(workflow.WorkflowError, match="须填写意见"):
        workflow.transition(
            item,
            "require_rectification",
            user=bureau,
            params={"deadline": timezone.localdate() + datetime.timedelta(days=60)},
        )
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    item = workflow.transition(
        item,
        "require_rectification",
        user=bureau,
        comment="制度不健全",
        params={"deadline": deadline},
    )
    assert (item.state, item.rectify_deadline, item.outcome_opinion) == (
        State.RECTIFYING,
        deadline,
        "制度不健全",
    )


def test_rectification_cycle_through_the_pages(client, assessment, people):
    item = recommended(assessment, people)
    client.force_login(people["bureau"])
    act = reverse("reviews:act_assessment", args=[item.pk, "require_rectification"])
    page = client.post(act, {"comment": "请完善制度", "deadline": ""}, follow=True)
    assert "未能限期整改：限期整改须填写整改期限。" in page.content.decode()
    deadline = timezone.localdate() + datetime.timedelta(days=30)
    client.post(act, {"comment": "请完善制度", "deadline": deadline.isoformat()})
    item.refresh_from_db()
    assert item.state == State.RECTIFYING
    # The bureau cannot accept a report that was never submitted.
    accept = reverse("reviews:act_assessment", args=[item.pk, "accept_rectification"])
    page = client.post(accept, follow=True).content.decode()
    assert "不能执行“整改验收通过”" in page
    item.refresh_from_db()
    assert item.state == State.RECTIFYING

    client.force_login(people["unit"])
    detail = client.get(item.get_absolute_url()).content.decode()
    assert "请完善制度" in detail and "整改期限" in detail
    report_url = reverse("bases:rectification", args=[item.pk])
    client.post(
        report_url, {"rectification_report": "", "version": item.version, "action": "submit"}
    )
    item.refresh_from_db()
    assert item.state == State.RECTIFYING
    confirm = client.post(
        report_url,
        {"rectification_report": "已修订管理办法。", "version": item.version, "action": "submit"},
    )
    # Saved, then confirmed with the 信用承诺 (tests/test_confirmations.py).
    item.refresh_from_db()
    assert item.state == State.RECTIFYING
    client.post(confirm["Location"], {"version": item.version, "pledge": "on"})
    item.refresh_from_db()
    assert (item.state, item.rectification_report) == (
        State.RECTIFICATION_SUBMITTED,
        "已修订管理办法。",
    )

    client.force_login(people["bureau"])
    back = reverse("reviews:act_assessment", args=[item.pk, "return_rectification"])
    client.post(back, {"comment": "请补充服务记录"})
    item.refresh_from_db()
    assert item.state == State.RECTIFYING
    client.force_login(people["unit"])
    confirm = client.post(
        report_url,
        {"rectification_report": "已补充服务记录。", "version": item.version, "action": "submit"},
    )
    item.refresh_from_db()
    client.post(confirm["Location"], {"version": item.version, "pledge": "on"})
    client.force_login(people["bureau"])
    client.post(accept)
    item.refresh_from_db()
    assert item.state == State.RECTIFIED
    actions = list(
        AuditRecord.objects.filter(
            object_id=item.pk, content_type__model="assessment", outcome="success"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-5:] == [
        "require_rectification",
        "submit_rectification",
        "return_rectification",
        "submit_rectification",
        "accept_rectification",
    ]


def test_overdue_rectification_shows_in_the_bureau_lists(client, assessment, people):
    item = recommended(assessment, people)
    item = workflow.transition(
        item,
        "require_rectification",
        user=people["bureau"],
        comment="限期整改",
        params={"deadline": timezone.localdate() + datetime.timedelta(days=1)},
    )
    Assessment.objects.filter(pk=item.pk).update(
        rectify_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(people["bureau"])
    queue = client.get(reverse("reviews:queue"), {"category": "assessment"}).content.decode()
    assert "整改逾期" in queue
    registry = client.get(reverse("bases:list")).content.decode()
    assert "（已逾期）" in registry


def test_assessments_do_not_use_the_quota(call, assessment, people):
    app = CompleteApplicationFactory(call=call, unit=assessment.unit)
    app = workflow.transition(app, "submit", user=people["unit"])
    app = workflow.transition(app, "accept", user=people["recommender"])
    app = workflow.transition(app, "recommend", user=people["recommender"], comment="同意")
    item = recommended(assessment, people)  # the quota of 1 is used, yet this passes
    assert (app.state, item.state) == (State.RECOMMENDED, State.RECOMMENDED)
    assert item.recommender_rank is None


def test_queue_shows_assessments_beside_applications(client, call, assessment, people):
    workflow.transition(assessment, "submit", user=people["unit"])
    app = CompleteApplicationFactory(call=call, unit=UnitFactory(district=assessment.recommender))
    workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
    client.force_login(people["recommender"])
    page = client.get(reverse("reviews:queue")).content.decode()
    tabs = page[page.index('data-testid="tabs"') : page.index("</ul>", page.index("tabs"))]
    assert "服务团申报（附件1）" in tabs and "服务基地评估（附件2，不占推荐名额）" in tabs
    assert tabs.count('text-bg-secondary ms-1">1<') == 2  # one of each
    assert app.name in page and assessment.base.name not in page
    only = client.get(reverse("reviews:queue"), {"category": "assessment"}).content.decode()
    assert 'data-testid="assessment-queue"' in only and 'data-testid="queue"' not in only
    assert assessment.base.name in only and "<td>服务基地评估</td>" in only
    assert app.name not in only
    none = client.get(reverse("reviews:queue"), {"category": "national"}).content.decode()
    assert 'text-bg-secondary ms-1">0<' in none
    client.post(
        reverse("reviews:queue"),
        {
            "bulk_action": "accept",
            "selected_assessment": [assessment.pk],
            "confirmed": "1",
            f"version-assessment-{assessment.pk}": Assessment.objects.get(pk=assessment.pk).version,
        },
    )
    assessment.refresh_from_db()
    assert assessment.state == State.UNDER_REVIEW


# --- scoping -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_unit", "other_recommender"])
def test_foreign_assessments_are_404(client, assessment, people, who):
    workflow.transition(assessment, "submit", user=people["unit"])
    client.force_login(people[who])
    urls = [
        reverse("bases:assessment", args=[assessment.pk]),
        reverse("bases:assessment_edit", args=[assessment.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("bases:rectification", args=[assessment.pk]),
        reverse("reviews:act_assessment", args=[assessment.pk, "accept"]),
    ]:
        assert client.post(url, {"comment": "x"}).status_code == 404, url


def test_recommender_cannot_see_a_draft(client, assessment, people):
    client.force_login(people["recommender"])
    assert client.get(reverse("bases:assessment", args=[assessment.pk])).status_code == 404


def test_unit_sees_only_its_own_bases(client, assessment, people):
    other = BaseFactory(name="别家的基地")
    client.force_login(people["unit"])
    page = client.get(reverse("bases:list")).content.decode()
    assert assessment.base.name in page and "别家的基地" not in page
    assert client.get(reverse("bases:edit", args=[other.pk])).status_code == 404
    assert client.get(reverse("bases:create")).status_code == 404


def test_recommenders_have_no_registry(client, people):
    client.force_login(people["recommender"])
    assert client.get(reverse("bases:list")).status_code == 404


# --- the bureau's registry -----------------------------------------------------------------


def test_bureau_registers_a_base_with_errors_named(client, people):
    client.force_login(people["bureau"])
    unit = people["unit"].organisation
    data = {
        "name": "长三角智能制造专家服务基地",
        "host_unit": unit.pk,
        "level": "municipal",
        "year_selected": "22",
        "host_types": ["industrial_park", "high_tech_firm"],
        "own_experts": "3",
        "external_experts": "-1",
        "email": "x@",
    }
    page = client.post(reverse("bases:create"), data).content.decode()
    assert "入选年度：请输入四位年份，例如 2022。" in page
    assert "外单位专家（人）：不能为负数。" in page
    assert "E-mail：E-mail 格式不正确，例如 name@example.com。" in page
    assert "长三角智能制造专家服务基地" in page
    data.update(year_selected="2022", external_experts="4", email="base@example.org")
    client.post(reverse("bases:create"), data)
    assert Base.objects.filter(name="长三角智能制造专家服务基地", level="municipal").exists()


def test_bureau_opens_the_assessments_due(client, call, people):
    due = BaseFactory(year_selected=call.year - 4)
    later = BaseFactory(year_selected=call.year - 2)
    client.force_login(people["bureau"])
    page = client.get(reverse("bases:list")).content.decode()
    assert due.name in page[page.index('data-testid="due"') :].split("</div>")[0]
    client.post(reverse("bases:open"))
    opened = Assessment.objects.get(base=due, call=call)
    assert (opened.state, opened.unit, opened.recommender, opened.contact_name) == (
        State.DRAFT,
        due.host_unit,
        due.host_unit.district,
        due.contact_name,
    )
    assert not Assessment.objects.filter(base=later).exists()
    client.post(reverse("bases:open"))  # twice is harmless
    assert Assessment.objects.filter(base=due).count() == 1
    assert AuditRecord.objects.filter(action="open", object_id=opened.pk).exists()


def test_registry_query_count_is_constant(client, call, people):
    client.force_login(people["bureau"])
    client.get(reverse("bases:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("bases:list"))
    for _ in range(4):
        AssessmentFactory(call=call)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("bases:list"))
    assert len(few) == len(more)


# --- priority in the next call -------------------------------------------------------------


def test_commended_base_gives_priority_in_the_next_call(client, call, assessment, people):
    item = recommended(assessment, people)
    workflow.transition(item, "commend", user=people["bureau"], comment="成效显著")
    next_call = CallFactory(year=call.year + 1, opens_on=timezone.localdate())
    assert Call.objects.current() == next_call
    unit = assessment.unit
    dates = {
        "start_date": datetime.date(next_call.year, 3, 1),
        "end_date": datetime.date(next_call.year, 10, 31),
    }
    favoured = CompleteApplicationFactory(call=next_call, unit=unit, name="优先的服务团", **dates)
    workflow.transition(favoured, "submit", user=people["unit"])
    other_unit = UnitFactory(district=unit.district)
    plain = CompleteApplicationFactory(
        call=next_call, unit=other_unit, name="普通的服务团", **dates
    )
    workflow.transition(plain, "submit", user=UserFactory(organisation=other_unit))

    client.force_login(people["bureau"])
    listing = client.get(reverse("reviews:queue"), {"priority": "on"}).content.decode()
    assert "优先的服务团" in listing and "普通的服务团" not in listing
    assert "优先支持</span>" in listing
    ordered = client.get(reverse("reviews:queue"), {"sort": "priority"}).content.decode()
    assert ordered.index("优先的服务团") < ordered.index("普通的服务团")
    # 优先支持在前 pages through the favoured items first, then the others, one a page here.

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queue_views, "PAGE_SIZE", 1)
        first, second = (
            client.get(reverse("reviews:queue"), {"sort": "priority", "page": n}).text
            for n in (1, 2)
        )
    assert "优先的服务团" in first and "普通的服务团" not in first
    assert "普通的服务团" in second and "优先的服务团" not in second
    assert "第 2 / 2 页，共 2 项" in second
    # Its cost does not grow with the list: two more items, the same queries.
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("reviews:queue"), {"sort": "priority"})
    next_call.applications_per_unit = 2
    next_call.save()
    for name, owner in (("又一优先团", unit), ("又一普通团", other_unit)):
        extra = CompleteApplicationFactory(call=next_call, unit=owner, name=name, **dates)
        workflow.transition(extra, "submit", user=UserFactory(organisation=owner))
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("reviews:queue"), {"sort": "priority"}).text
    assert len(four) == len(two) <= 10
    assert page.index("又一优先团") < page.index("普通的服务团")
    # Unfiltered, in any other order, the flag is on the favoured row and on no other.
    for query in ({}, {"sort": "name"}):
        page = client.get(reverse("reviews:queue"), query).content.decode()
        rows = {
            name: next(row for row in page.split("<tr>") if f">{name}</a>" in row)
            for name in ("优先的服务团", "普通的服务团")
        }
        assert "优先支持</span>" in rows["优先的服务团"]
        assert "优先支持</span>" not in rows["普通的服务团"]
    detail = client.get(favoured.get_absolute_url()).content.decode()
    assert 'data-testid="priority"' in detail
    client.force_login(people["unit"])
    assert 'data-testid="priority"' in client.get(reverse("home")).content.decode()


def test_an_application_links_a_registered_base(client, call, assessment, people):

    app = CompleteApplicationFactory(call=call, unit=assessment.unit)
    client.force_login(people["unit"])
    data = app_form(app, relies_on_base_choice="yes", base=assessment.base.pk, base_name="")
    client.post(reverse("applications:edit", args=[app.pk]), {**data, "action": "save"})
    app.refresh_from_db()
    assert (app.base, app.base_name, app.base_level) == (
        assessment.base,
        assessment.base.name,
        "ministry",
    )
    foreign = BaseFactory()
    data = app_form(app, relies_on_base_choice="yes", base=foreign.pk)
    page = client.post(reverse("applications:edit", args=[app.pk]), {**data, "action": "save"})
    assert "登记的专家服务基地" in page.content.decode()
    app.refresh_from_db()
    assert app.base == assessment.base


def test_demo_data_holds_2022_bases_with_their_assessments(db, settings):

    settings.DEBUG = True  # `make run`: load_demo refuses with DEBUG off (test_production)
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # a second run changes nothing
    bases = Base.objects.filter(year_selected=2022)
    assert {b.level for b in bases} == {"national", "municipal"}
    assert bases.count() == 4
    call = Call.objects.get()
    assert Assessment.objects.filter(call=call).count() == 4
    assert not Assessment.objects.filter(base__year_selected=2024).exists()


def test_an_empty_application_list_still_shows_its_table(client, assessment, people):
    workflow.transition(assessment, "submit", user=people["unit"])
    client.force_login(people["recommender"])
    page = client.get(reverse("reviews:queue")).content.decode()
    assert 'data-testid="queue"' in page and "没有符合条件的项目。" in page
    assert 'text-bg-secondary ms-1">1<' in page  # the assessment waits in the other tab


def test_the_report_cannot_be_saved_outside_rectification(client, assessment, people):
    """The rule sits with the save, under the row lock, not only in the view."""
    form = RectificationForm(
        {"rectification_report": "提前写的报告", "version": assessment.version},
        instance=assessment,
    )
    assert form.is_valid()
    with pytest.raises(StaleVersion):
        form.save_checked()
    assessment.refresh_from_db()
    assert assessment.rectification_report != "提前写的报告"


def test_the_list_texts_start_as_items_3_and_5_and_are_never_cut(client, assessment, people):

    Assessment.objects.filter(pk=assessment.pk).update(
        list_summary="", list_goal="", activities="第3项" * 150
    )
    client.force_login(people["unit"])
    url = reverse("bases:assessment_edit", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert escape("第3项" * 150) in page.split('id="id_list_summary"')[1].split("</textarea>")[0]
    assert escape(assessment.three_year_plan) in page.split('id="id_list_goal"')[1]
    # Submitted as suggested, it is too long: the unit is asked to shorten it, nothing is cut.
    data = form_data(
        assessment, activities="第3项" * 150, list_summary="第3项" * 150, action="submit"
    )
    page = client.post(url, data).content.decode()
    assert "不超过 200 字（当前 450 字），请精简。" in page
    assessment.refresh_from_db()
    assert assessment.list_summary == "第3项" * 150 and assessment.state == State.DRAFT
