"""统计: each figure against a call built to give known numbers, the recommender's scope, the
queries, the .xlsx, the bureau list's money columns and totals, and the audit export."""

import datetime
import html
import io
from decimal import Decimal
from importlib import import_module

import openpyxl
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Expert
from bases.models import Assessment
from reviews import columns, statistics
from reviews.engine import workflow
from reviews.models import AuditRecord
from reviews.queries import recommenders
from shanghai_experts.states import State

from .downloads import content_of
from .factories import (
    ApplicationFactory,
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def submitted(call, district, name, **fields):
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name=name, **fields)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


def recommended(call, district, officer, name, **fields):
    app = submitted(call, district, name, **fields)
    app = workflow.transition(app, "accept", user=officer)
    return workflow.transition(app, "recommend", user=officer, comment="同意")


def assessed(call, district, officer):
    base = BaseFactory(host_unit=UnitFactory(district=district))
    item = AssessmentFactory(call=call, base=base)
    item = workflow.transition(item, "submit", user=UserFactory(organisation=base.host_unit))
    item = workflow.transition(item, "accept", user=officer)
    return workflow.transition(item, "recommend", user=officer, comment="同意")


@pytest.fixture
def world(call):
    """Two districts; four teams past submission, one draft, two base assessments.

    A: 甲 national 20 万 (拟推荐国家级, granted 18 + 2), 乙 municipal 10 万 (recommended),
       丙 municipal 10 万 (submitted only), one draft; a base commended.
    B: 丁 national 15 万 (recommended); a base in overdue rectification.
    Every team: 2 experts (正高级 院士 own, 副高级 external), 1 key county 云南省广南县 (跨省),
    服务形式 技术指导 and 人才培养, 服务领域 医疗卫生.
    """
    call.recommender_quota = 2
    call.save()
    a = DistrictFactory(name="上海市甲区人力资源和社会保障局", short_name="甲区人社局")
    b = DistrictFactory(name="上海市乙区人力资源和社会保障局", short_name="乙区人社局")
    officer_a, officer_b = UserFactory(organisation=a), UserFactory(organisation=b)
    bureau = UserFactory(organisation=BureauFactory())
    first = recommended(call, a, officer_a, "甲服务团", requested_amount=Decimal("20"))
    recommended(
        call, a, officer_a, "乙服务团", category="municipal", requested_amount=Decimal("10")
    )
    submitted(call, a, "丙服务团", category="municipal", requested_amount=Decimal("10"))
    ApplicationFactory(call=call, unit=UnitFactory(district=a), recommender=a, name="草稿团")
    recommended(call, b, officer_b, "丁服务团", requested_amount=Decimal("15"))
    workflow.transition(first, "select_national", user=bureau)
    Application.objects.filter(pk=first.pk).update(
        funding_granted=Decimal("18"), bureau_support=Decimal("2")
    )
    workflow.transition(assessed(call, a, officer_a), "commend", user=bureau)
    late = workflow.transition(
        assessed(call, b, officer_b),
        "require_rectification",
        user=bureau,
        comment="请整改",
        params={"deadline": timezone.localdate() + datetime.timedelta(days=5)},
    )
    Assessment.objects.filter(pk=late.pk).update(
        rectify_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    return {"a": a, "b": b, "officer_a": officer_a, "officer_b": officer_b, "bureau": bureau}


def tables_for(call, org, **filters):
    scope = statistics.Scope(call=call, organisation=org, **filters)
    labels = {r.pk: r.label for r in recommenders()}
    return {t.key: t for t in statistics.build(scope, labels)}


def rows(table):
    return [list(row) for row in table.rows]


def test_the_bureau_sees_every_figure(call, world):
    t = tables_for(call, world["bureau"].organisation)
    assert rows(t["funnel"]) == [
        ["草稿（未提交）", 1],
        ["已提交", 6],
        ["已推荐至市人社局", 5],
        ["入选（国家级或市级）", 1],
        ["已公布结果", 0],
    ]
    assert rows(t["recommenders"]) == [["甲区人社局", 3, 2, 2, 1], ["乙区人社局", 1, 1, 2, 1]]
    assert rows(t["categories"]) == [["国家级服务团", 2], ["市级服务团", 2], ["服务基地评估", 2]]
    assert rows(t["money"]) == [
        ["国家级服务团", Decimal("35"), Decimal("18"), Decimal("2"), Decimal("20")],
        ["市级服务团", Decimal("20"), Decimal("0"), Decimal("0"), Decimal("0")],
        ["合计", Decimal("55"), Decimal("18"), Decimal("2"), Decimal("20")],
    ]
    assert rows(t["fields"]) == [["医疗卫生", 4]]
    forms = dict(rows(t["forms"]))
    assert forms["技术指导"] == 4 and forms["人才培养"] == 4 and forms["义诊"] == 0
    assert rows(t["support"]) == [
        ["服务国家乡村振兴重点帮扶县", 4],
        ["跨省帮扶", 4],
        ["省内帮扶", 0],
    ]
    assert rows(t["key_provinces"]) == [["云南省", 4]]
    assert rows(t["key_counties"]) == [["云南省广南县", 4]]
    assert t["experts"].title == "服务专家（共 8 人）：按职称"
    assert dict(rows(t["experts"])) == {"正高级": 4, "副高级": 4, "中级": 0, "初级及以下": 0}
    assert rows(t["talents"]) == [
        ["两院院士", 4],
        ["享受政府特殊津贴", 0],
        ["国家和省部级重大人才工程", 0],
    ]
    assert rows(t["outcomes"]) == [
        ["通报表扬", 1],
        ["合格", 0],
        ["限期整改（进行中）", 1],
        ["整改完成", 0],
        ["整改逾期", 1],
    ]
    assert rows(t["per_day"]) == [[f"{timezone.localdate():%m-%d}", 6]]


def test_a_recommender_sees_its_own_and_no_unpublished_decision(call, world):
    t = tables_for(call, world["a"])
    # No drafts row; 甲 is still 已推荐 to it (the bureau has not published); no money granted.
    assert rows(t["funnel"]) == [
        ["已提交", 4],
        ["已推荐至市人社局", 3],
        ["入选（国家级或市级）", 0],
        ["已公布结果", 0],
    ]
    assert rows(t["recommenders"]) == [["甲区人社局", 3, 2, 2, 1]]
    assert rows(t["money"])[0] == [
        "国家级服务团",
        Decimal("20"),
        Decimal("0"),
        Decimal("0"),
        Decimal("0"),
    ]
    assert rows(t["outcomes"])[0] == ["通报表扬", 1] and rows(t["outcomes"])[4] == ["整改逾期", 0]


def test_the_page_never_shows_another_recommenders_numbers(client, call, world):
    client.force_login(world["officer_b"])
    page = client.get(reverse("reviews:statistics")).content.decode()
    assert "乙区人社局" in page and "甲区人社局" not in page
    # Even asked for another recommender, a recommender gets its own.
    page = client.get(reverse("reviews:statistics"), {"recommender": world["a"].pk})
    assert "甲区人社局" not in page.content.decode()
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert client.get(reverse("reviews:statistics")).status_code == 404


def test_the_bureau_filters_apply(call, world):
    t = tables_for(call, world["bureau"].organisation, recommender=world["b"].pk)
    assert rows(t["recommenders"]) == [["乙区人社局", 1, 1, 2, 1]]
    t = tables_for(call, world["bureau"].organisation, category="municipal")
    assert rows(t["categories"]) == [["国家级服务团", 0], ["市级服务团", 2]]
    assert "outcomes" not in t


def test_statistics_queries_do_not_grow_with_items(call, world):
    bureau = world["bureau"].organisation

    def count():
        with CaptureQueriesContext(connection) as queries:
            tables_for(call, bureau)
        return len(queries)

    few = count()
    for i in range(5):
        submitted(call, world["b"], f"新服务团{i}")
    assert count() == few


def test_the_statistics_export_reads_back(client, call, world):
    client.force_login(world["bureau"])
    response = client.get(reverse("reviews:statistics"), {"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(content_of(response)))
    assert "申报进度" in wb.sheetnames and "按推荐单位" in wb.sheetnames
    ws = wb["按推荐单位"]
    assert [c.value for c in ws[2]] == [
        "推荐单位",
        "收到服务团申报",
        "已推荐服务团",
        "推荐名额",
        "服务基地评估",
    ]
    assert [c.value for c in ws[3]] == ["甲区人社局", 3, 2, 2, 1]
    assert AuditRecord.objects.filter(action="export_statistics").exists()


def _totals_line(client, query):
    """The list's totals line as the page's script completes it: the URL the line names."""
    page = client.get(reverse("reviews:queue"), query).content.decode()
    line = page.split('data-testid="totals"')[1].split("</tr>")[0]
    url = html.unescape(line.split('data-totals="')[1].split('"')[0])
    return page, line, client.get(url).content.decode()


def test_the_bureau_list_shows_money_and_totals(client, call, world):
    every_column(world["bureau"])
    client.force_login(world["bureau"])
    page, line, totals = _totals_line(client, {})
    # 4 teams past submission: 申请 55 万, 资助 18 万, 配套 2 万.
    assert "4 项" in line
    assert "4 项" in totals and "55.00" in totals and "18.00" in totals and "2.00" in totals
    assert totals.startswith('<tr class="table-light fw-semibold" data-testid="totals">')
    row = next(r for r in page.split("<tr>") if ">甲服务团</a>" in r)
    assert "20.00" in row and "18.00" in row and "正高级" in row
    page, line, totals = _totals_line(client, {"recommender": world["b"].pk, "page": "1"})
    assert "1 项" in line and "1 项" in totals and "15.00" in totals
    # Without JavaScript the line links the same figures as a page of their own.
    link = html.unescape(line.split('href="')[1].split('"')[0])
    assert "fragment" not in link and "page=" not in link
    standalone = client.get(link).content.decode()
    assert "筛选结果合计" in standalone and "15.00" in standalone
    # Nobody but the bureau reads the sums.
    client.force_login(world["officer_a"])
    assert client.get(reverse("reviews:totals")).status_code == 404


def test_the_audit_log_exports_with_its_own_record(client, call, world):
    client.force_login(world["bureau"])
    response = client.get(reverse("reviews:audit"), {"format": "xlsx", "action": "recommend"})
    ws = openpyxl.load_workbook(io.BytesIO(content_of(response))).active
    header = [c.value for c in ws[1]]
    assert header == [
        "时间",
        "登录名",
        "机构",
        "来源地址",
        "对象",
        "操作",
        "原状态",
        "新状态",
        "结果",
        "意见",
    ]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(body) == 5  # 甲 乙 丁 and two assessments recommended, as filtered
    assert all(row[5] == "推荐" for row in body)
    assert {row[4][:6] for row in body} == {"ZJ2026", "JD2026"}
    assert AuditRecord.objects.filter(action="export_audit", actor=world["bureau"]).exists()
    # An object that is not an item is named by its kind in Chinese and its number.
    content_of(client.get(reverse("reviews:statistics"), {"format": "xlsx"}))
    response = client.get(
        reverse("reviews:audit"), {"format": "xlsx", "action": "export_statistics"}
    )
    ws = openpyxl.load_workbook(io.BytesIO(content_of(response))).active
    assert ws.cell(row=2, column=5).value == f"申报批次 #{call.pk}"
    client.force_login(world["officer_a"])
    assert client.get(reverse("reviews:audit"), {"format": "xlsx"}).status_code == 404


def test_a_recommender_filters_by_a_published_result_as_its_list_does(call, world):
    """The state box offers a recommender 国家级推荐对象（已公布）: 统计 counts the published
    decision, and nothing the bureau has not announced."""
    first = Application.objects.get(name="甲服务团")
    filtered = {"state": f"published:{State.NATIONAL_CANDIDATE}"}
    assert rows(tables_for(call, world["a"], **filtered)["recommenders"]) == []
    Application.objects.filter(pk=first.pk).update(published_state=State.NATIONAL_CANDIDATE)
    # 收到 1, 已推荐 1, 名额 2, 基地评估 0 (none has that state).
    assert rows(tables_for(call, world["a"], **filtered)["recommenders"]) == [
        ["甲区人社局", 1, 1, 2, 0]
    ]
    # 已推荐至市人社局 counts the items without an announcement (乙), not the announced 甲.
    recommended = tables_for(call, world["a"], state=State.RECOMMENDED)["recommenders"]
    assert rows(recommended)[0][:3] == ["甲区人社局", 1, 1]


def test_days_are_shanghai_days_and_fields_rank_by_count(call, world):
    """Submissions either side of midnight in Shanghai (16:00 UTC) count on their own days;
    service fields rank by count, then name, and a draft's field is not counted."""
    shanghai = timezone.get_current_timezone()
    late = datetime.datetime(2026, 1, 20, 23, 30, tzinfo=shanghai)
    early = datetime.datetime(2026, 1, 21, 0, 30, tzinfo=shanghai)
    a = world["a"]
    for name, field in (("教育一团", "教育"), ("教育二团", "教育"), ("农业团", "农业")):
        submitted(call, a, name, service_field=field)
    Application.objects.filter(name="教育一团").update(submitted_at=late)
    Application.objects.filter(name__in=["教育二团", "农业团"]).update(submitted_at=early)
    ApplicationFactory(call=call, unit=UnitFactory(district=a), recommender=a, service_field="文化")

    t = tables_for(call, world["bureau"].organisation)
    assert rows(t["fields"]) == [["医疗卫生", 4], ["教育", 2], ["农业", 1]]
    days = dict(rows(t["per_day"]))
    assert days["01-20"] == 1 and days["01-21"] == 2
    assert sum(days.values()) == 9  # 6 of the world (teams and bases) and these 3


def every_column(user):
    """The list with all its columns shown (its default set leaves some out, reviews.columns)."""
    columns.choose(user, user.organisation, [c.key for c in columns.COLUMNS])


def bureau_row(client, name):
    page = client.get(reverse("reviews:queue")).content.decode()
    return next(r for r in page.split("<tr>") if f">{name}</a>" in r)


def test_the_bureau_list_shows_the_leader_as_submitted(client, call, world):
    """领衔专家 is the first leader of the submitted version: a change made while the item is
    back with its unit shows once the unit submits again."""
    every_column(world["bureau"])
    client.force_login(world["bureau"])
    assert "正高级·两院院士" in bureau_row(client, "丙服务团")
    app = Application.objects.get(name="丙服务团")
    app = workflow.transition(app, "return", user=world["officer_a"], comment="请补充")
    Expert.objects.filter(application=app, is_leader=True).update(
        title_level="associate", talents=["special_allowance"]
    )
    assert "正高级·两院院士" in bureau_row(client, "丙服务团")
    unit_user = UserFactory(organisation=app.unit)
    workflow.transition(app, "submit", user=unit_user)
    assert "副高级·特贴" in bureau_row(client, "丙服务团")
    # The assessments' tab has no roster column to fill and still opens.
    page = client.get(reverse("reviews:queue"), {"category": "assessment"})
    assert page.status_code == 200 and 'data-testid="assessment-queue"' in page.text


def test_the_migration_copies_each_submitted_items_first_leader(call, world):

    Application.objects.update(leader_title_level="", leader_talents=[])
    import_module("applications.migrations.0018_leader_as_submitted").copy_leaders(apps, None)
    leaders = dict(Application.objects.values_list("name", "leader_title_level"))
    assert leaders == {
        "甲服务团": "senior",
        "乙服务团": "senior",
        "丙服务团": "senior",
        "丁服务团": "senior",
        "草稿团": "",  # never submitted: it takes its leader when it is
    }
    assert Application.objects.get(name="甲服务团").leader_talents == ["academician"]


def test_a_bad_filter_on_the_statistics_page_is_named(client, call, world):
    """统计 names a filter it could not apply, as the lists do (it once said nothing: its
    template read the errors of a list of fields, not of the form)."""
    client.force_login(world["bureau"])
    page = client.get(
        reverse("reviews:statistics"), {"recommender": "x", "category": "national"}
    ).text
    errors = page.split('data-testid="filter-errors"')[1].split("</div></div>")[0]
    assert "推荐单位：" in errors and "此条件未生效" in errors
    assert "已提交" in page  # the figures still show, by the filters that are valid
