"""附件3 一览表: read the .xlsx back and check what a clerk would send on."""

import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.choices import Talent
from applications.models import Application, Expert
from bases import rules
from reviews import scoring
from reviews.documents import exports
from reviews.engine import services, workflow
from reviews.models import AuditRecord
from shanghai_experts.states import State

from .downloads import served
from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture
def district(db):
    return UnitFactory().district


@pytest.fixture
def people(district):
    return {
        "recommender": UserFactory(organisation=district),
        "bureau": UserFactory(organisation=BureauFactory()),
    }


def recommend(call, district, people, **fields):
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, **fields)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=people["recommender"])
    return workflow.transition(app, "recommend", user=people["recommender"], comment="同意")


def read(response):
    response = served(response)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content)).active


def body(ws):
    """The data rows: from row 3 to the row before the notes."""
    rows = []
    for row in ws.iter_rows(min_row=3, values_only=True):
        if isinstance(row[0], str) and row[0].startswith("注"):
            break
        rows.append(row)
    return rows


def test_recommender_list_is_the_notices_table(client, call, district, people):
    call.recommender_quota = 3
    call.save()
    first = recommend(call, district, people, name="甲服务团")
    second = recommend(
        call, district, people, name="乙服务团", category="municipal", requested_amount=10
    )
    Expert.objects.create(
        application=second,
        name="外聘专家",
        work_unit="外单位",
        affiliation="external",
        title="研究员",
        title_level="senior",
        specialty="农学",
        mobile="13900000009",
        position=5,
    )
    client.force_login(people["recommender"])
    ws = read(client.get(reverse("reviews:export")))

    assert ws["A1"].value == "2026年专家服务基层项目一览表"
    assert "A1:L1" in {str(r) for r in ws.merged_cells.ranges}
    assert tuple(c.value for c in ws[2]) == exports.HEADERS
    assert exports.HEADERS[5] == "服务地点(如涉及国家乡村振兴重点帮扶县,请注明名称)"
    rows = body(ws)
    assert [(r[0], r[3]) for r in rows] == [(1, first.name), (2, second.name)]
    assert [r[2] for r in rows] == ["国家级服务团", "市级服务团"]
    row = rows[0]
    assert row[1] == str(district)
    assert row[4] == first.unit.name
    assert "云南省文山壮族苗族自治州广南县（国家乡村振兴重点帮扶县）" in row[5]
    assert "对口帮扶国家乡村振兴重点帮扶县：云南省文山州广南县" in row[5]
    # Chinese punctuation only: 、 between a leader's titles, ； between leaders.
    assert row[6].startswith("领衔专家：宁光（主任医师、两院院士）。")
    assert ", " not in row[6]
    assert "服务专家2人（本单位1人，外单位1人）" in row[6]
    assert "服务专家3人（本单位1人，外单位2人）" in rows[1][6]
    assert row[7] == first.summary and row[8] == 3 and row[9] == first.service_goal
    assert row[10] == first.professional_field
    assert row[11] == "张华 021-64370045 / 13812345678"
    notes = [ws.cell(row=4 + i, column=1).value for i in range(1, 3)]
    assert notes == list(exports.NOTES)


def test_rank_order_follows_the_recommenders_ranking(client, call, district, people):
    call.recommender_quota = 3
    call.save()
    a = recommend(call, district, people, name="先推荐的")
    b = recommend(call, district, people, name="后推荐的")
    services.set_ranking(call=call, user=people["recommender"], ordered_pks=[b.pk, a.pk])
    client.force_login(people["recommender"])
    rows = body(read(client.get(reverse("reviews:export"))))
    assert [r[3] for r in rows] == ["后推荐的", "先推荐的"]
    assert [r[0] for r in rows] == [1, 2]


def test_print_settings(client, call, district, people):
    recommend(call, district, people)
    client.force_login(people["recommender"])
    ws = read(client.get(reverse("reviews:export")))
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == "$2:$2"
    assert ws.freeze_panes == "A3"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["H3"].alignment.wrap_text and ws["B2"].alignment.wrap_text
    assert ws.column_dimensions["H"].width == 30


def test_formula_looking_input_stays_text(client, call, district, people):
    recommend(
        call,
        district,
        people,
        name='=HYPERLINK("http://evil.example","点我")',
        summary="+1+2",
        service_goal="-3",
        professional_field="@SUM(A1)",
    )
    client.force_login(people["recommender"])
    ws = read(client.get(reverse("reviews:export")))
    for column, value in (
        ("D", '=HYPERLINK("http://evil.example","点我")'),
        ("H", "+1+2"),
        ("J", "-3"),
        ("K", "@SUM(A1)"),
    ):
        cell = ws[f"{column}3"]
        assert (cell.value, cell.data_type) == (value, "s"), column
        assert cell.quotePrefix


def test_assessments_come_after_the_service_teams(client, call, district, people):
    recommend(call, district, people, name="服务团")
    base = BaseFactory(host_unit=UnitFactory(district=district), name="某某专家服务基地")
    item = AssessmentFactory(call=call, base=base)
    item = workflow.transition(item, "submit", user=UserFactory(organisation=base.host_unit))
    item = workflow.transition(item, "accept", user=people["recommender"])
    workflow.transition(item, "recommend", user=people["recommender"], comment="同意")
    client.force_login(people["recommender"])
    rows = body(read(client.get(reverse("reviews:export"))))
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (1, "国家级服务团", "服务团"),
        (2, "服务基地评估", "某某专家服务基地"),
    ]
    assert rows[1][6] == "对口联系专家17人（本单位12人，外单位5人）"


def test_base_rows_carry_the_units_own_list_texts_uncut(client, call, district, people):
    base = BaseFactory(host_unit=UnitFactory(district=district), name="某某专家服务基地")
    long_summary = "开展" + "专家服务" * 49  # 198 字: within the limit, longer than any cut
    item = AssessmentFactory(
        call=call,
        base=base,
        activity_count=36,
        list_summary=long_summary,
        list_goal="培养基层骨干30名。" * 30,
        activities="第3项的长篇叙述。" * 100,
    )
    item = workflow.transition(item, "submit", user=UserFactory(organisation=base.host_unit))
    item = workflow.transition(item, "accept", user=people["recommender"])
    workflow.transition(item, "recommend", user=people["recommender"], comment="同意")
    client.force_login(people["recommender"])
    (row,) = body(read(client.get(reverse("reviews:export"))))
    assert row[7] == long_summary and row[8] == 36 and row[9] == "培养基层骨干30名。" * 30
    assert row[10] == base.industry
    assert not any(isinstance(v, str) and v.endswith(("…", "...")) for v in row)


def test_a_list_summary_over_the_limit_blocks_submission(call):
    item = AssessmentFactory(call=call, list_summary="字" * 201)
    problems = {p.field: p.message for p in rules.submission_problems(item)}
    assert problems["list_summary"] == "不超过 200 字（当前 201 字），请精简。"


def test_bureau_national_list_in_score_order(client, call, district, people):
    call.recommender_quota = 3
    call.save()
    low = recommend(call, district, people, name="低分")
    high = recommend(call, district, people, name="高分")
    municipal = recommend(call, district, people, name="市级")
    bureau = people["bureau"]
    for app, points in ((low, 4), (high, 9)):
        scoring.record_scores(
            app,
            reviewer=bureau,
            points={c.pk: Decimal(points) for c in call.criteria.all()},
        )
        workflow.transition(app, "select_national", user=bureau)
    workflow.transition(municipal, "select_municipal", user=bureau)
    client.force_login(bureau)
    response = served(client.get(reverse("reviews:export"), {"list": "national"}))
    assert quote("推荐人力资源社会保障部") in response["Content-Disposition"]
    ws = read(response)
    assert ws["A1"].value == "2026年上海市推荐人力资源社会保障部国家级专家服务团项目一览表"
    assert [c.value for c in ws[2]] == list(exports.HEADERS)
    rows = body(ws)
    notes = [ws.cell(row=3 + len(rows) + i, column=1).value for i in range(2)]
    assert notes == list(exports.NOTES)
    assert [r[3] for r in rows] == ["高分", "低分"]
    city_ws = read(client.get(reverse("reviews:export")))
    assert city_ws["A1"].value == "2026年专家服务基层项目一览表"
    city = body(city_ws)
    assert {r[3] for r in city} == {"低分", "高分", "市级"}
    only = body(read(client.get(reverse("reviews:export"), {"q": "市级"})))
    assert [r[3] for r in only] == ["市级"]


def test_only_recommended_items_are_listed(client, call, district, people):
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name="尚未推荐")
    workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    client.force_login(people["recommender"])
    assert body(read(client.get(reverse("reviews:export")))) == []


def test_units_cannot_export_and_others_see_only_their_own(client, call, district, people):
    recommend(call, district, people, name="本区的")
    other = UserFactory(organisation=UnitFactory().district)
    client.force_login(other)
    assert body(read(client.get(reverse("reviews:export")))) == []
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert client.get(reverse("reviews:export")).status_code == 404
    client.force_login(people["recommender"])
    assert client.get(reverse("reviews:export"), {"list": "national"}).status_code == 404


def test_export_is_audited(client, call, district, people):
    recommend(call, district, people)
    client.force_login(people["recommender"])
    read(client.get(reverse("reviews:export")))
    record = AuditRecord.objects.get(action="export")
    assert record.actor == people["recommender"] and "1 行" in record.comment


@pytest.mark.parametrize("who", ["recommender", "bureau"])
def test_export_query_count_is_constant(client, call, district, people, who):
    client.force_login(people[who])
    call.recommender_quota = 10
    call.save()
    recommend(call, district, people)
    read(client.get(reverse("reviews:export")))  # the session's first touch is not the export's
    with CaptureQueriesContext(connection) as one:
        read(client.get(reverse("reviews:export")))
    for _ in range(4):
        app = recommend(call, district, people)
        Expert.objects.create(
            application=app,
            name="专家",
            work_unit="单位",
            affiliation="own",
            title="教授",
            title_level="senior",
            talents=[Talent.SPECIAL_ALLOWANCE],
            specialty="x",
            mobile="13900000000",
            position=9,
        )
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("reviews:export"))
        assert len(body(read(response))) == 5
    assert len(one) == len(five)


def test_merge_join_keeps_rows_with_their_application(call, district, people):
    """Applications without places or experts must not take a neighbour's rows."""
    call.recommender_quota = 5
    call.save()
    apps = [recommend(call, district, people, name=f"团{i}") for i in range(3)]
    apps[1].places.all().delete()
    apps[1].experts.all().delete()
    rows = list(exports.application_rows(Application.objects.filter(call=call)))
    by_name = {r["name"]: r for r in rows}
    assert by_name["团1"]["places"] == [] and by_name["团1"]["experts"] == []
    assert len(by_name["团0"]["places"]) == 1 and len(by_name["团2"]["experts"]) == 2
    assert apps[0].state == State.RECOMMENDED


def test_the_bureau_orders_the_national_list(client, call, district, people):
    call.recommender_quota = 3
    call.save()
    first = recommend(call, district, people, name="甲")
    second = recommend(call, district, people, name="乙")
    bureau = people["bureau"]
    for app in (first, second):
        workflow.transition(app, "select_national", user=bureau)
    client.force_login(bureau)
    page = client.get(reverse("reviews:national_order")).content.decode()
    assert page.index(">甲<") < page.index(">乙<")
    client.post(reverse("reviews:national_order"), {"order": [second.pk, first.pk]})
    rows = body(read(client.get(reverse("reviews:export"), {"list": "national"})))
    assert [r[3] for r in rows] == ["乙", "甲"]
    assert AuditRecord.objects.filter(action="national_rank").count() == 2
    # An order that leaves one out, or adds another, is refused whole.
    page = client.post(
        reverse("reviews:national_order"), {"order": [second.pk]}, follow=True
    ).content.decode()
    assert "排序未保存：排序须包含且只包含全部拟推荐国家级的项目。" in page
    client.force_login(people["recommender"])
    assert client.get(reverse("reviews:national_order")).status_code == 404
