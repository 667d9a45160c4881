"""统计: the call at a glance, for the bureau (everything) and for a recommender (its own).

Every figure comes from a fixed set of grouped queries, whatever the number of items: the
applications grouped by (recommender, category, state, published state) give the funnel, the
counts by recommender and category and the money; the others group places, experts, fields,
assessments and submission days. Lists held in JSON (服务形式, 人才计划) are counted in
the database too, as text matches on the stored list (each value in quotes).

What a recommender sees follows shanghai_experts.visibility: a decision the bureau has not
published counts as 已推荐至市人社局, and 资助经费/配套支持 only once published.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter
from decimal import Decimal
from typing import NamedTuple

from django import forms
from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from applications.choices import Category, ServiceForm, Talent, TitleLevel
from applications.models import Application, Expert, ServicePlace
from bases.models import Assessment
from shanghai_experts import visibility
from shanghai_experts.divisions import divisions
from shanghai_experts.models import Call, Organisation, RecommenderQuota
from shanghai_experts.states import ASSESSED_STATES, RECOMMENDED_STATES, State

from .documents import exports
from .engine.workflow import ASSESSMENT
from .queries import QueueFilter, shown_state_filter

ZERO = Decimal("0")
SELECTED_STATES = frozenset({State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM, State.NATIONAL_TEAM})


@dataclasses.dataclass
class Table:
    """One block of the page: its numbers as rows, and how its chart draws them."""

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    chart: str = "bar"  # bar, pie, line, funnel or "" (no chart)
    #: Which columns the chart draws (by index), the first column being the labels.
    series: tuple[int, ...] = (1,)
    note: str = ""

    def chart_data(self) -> dict:
        return {
            "id": self.key,
            "type": self.chart,
            "title": self.title,
            "labels": [str(row[0]) for row in self.rows],
            "series": [
                {"name": self.columns[i], "values": [_number(row[i]) for row in self.rows]}
                for i in self.series
            ],
        }


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, int | float) else 0


@dataclasses.dataclass
class Scope:
    """Whose items, and which: the viewer's organisation and the list's filters."""

    call: Call
    organisation: Organisation
    category: str = ""
    recommender: int | None = None
    state: str = ""

    @property
    def bureau(self) -> bool:
        """Whether the page counts the whole city's items (its drafts too), not one
        recommender's: which items, not what is shown of them."""
        return self.organisation.is_bureau

    @property
    def sees_decisions(self) -> bool:
        """Whether the counts show the bureau's decisions before they are announced."""
        return visibility.list_sees_decisions(self.organisation)

    def sees_funding(self, published: bool) -> bool:
        """Whether 资助经费 and 配套支持 of items (announced or not) count for the reader."""
        return visibility.may_see_in_list(self.organisation, "funding", published=published)

    @property
    def wants_applications(self) -> bool:
        return self.category != ASSESSMENT

    @property
    def wants_assessments(self) -> bool:
        return self.category in ("", ASSESSMENT)

    def applications(self, *, drafts: bool = False):
        qs = Application.objects.filter(call=self.call)
        if not drafts:
            qs = qs.exclude(state=State.DRAFT)
        if not self.bureau:
            qs = qs.filter(recommender=self.organisation).exclude(state=State.DRAFT)
        elif self.recommender:
            qs = qs.filter(recommender_id=self.recommender)
        if self.category in (Category.NATIONAL, Category.MUNICIPAL):
            qs = qs.filter(category=self.category)
        if self.state:
            qs = qs.filter(state=self.state) if self.bureau else shown_state_filter(qs, self.state)
        return qs.order_by()

    def assessments(self):
        qs = Assessment.objects.filter(call=self.call).exclude(state=State.DRAFT)
        if not self.bureau:
            qs = qs.filter(recommender=self.organisation)
        elif self.recommender:
            qs = qs.filter(recommender_id=self.recommender)
        if self.state:
            qs = qs.filter(state=self.state)
        return qs.order_by()


def shown(state: str, published: str, sees_decisions: bool) -> str:
    """The state a viewer counts an application in (visibility.state_as_seen)."""
    return visibility.state_as_seen(state, published, sees_decision=sees_decisions)


class AppGroup(NamedTuple):
    """Applications of one recommender, category, state, published state, service field and
    submission day (Shanghai time), with their counts and sums."""

    recommender: int | None
    category: str
    state: str
    published: str
    field: str
    day: datetime.date | None
    n: int
    requested: Decimal | None
    granted: Decimal | None
    support: Decimal | None
    flags: dict[str, int]  # 服务形式 and 对口帮扶 counts, past drafts


class AssessmentGroup(NamedTuple):
    recommender: int | None
    state: str
    day: datetime.date | None
    n: int


def build(scope: Scope, recommender_labels: dict[int, str]) -> list[Table]:
    """Every table of the page, in the order it shows them."""
    tables: list[Table] = []
    groups: list[AppGroup] = []
    totals: Counter = Counter()
    day = TruncDate("submitted_at", tzinfo=timezone.get_current_timezone())
    if scope.wants_applications:
        # One scan gives the funnel, recommenders, categories, money, service fields, the
        # days of submission and (past drafts) the 对口帮扶 counts: the groups are at most as
        # many as the items, and in a real call far fewer.
        live = ~Q(state=State.DRAFT)
        extra = {
            "cross": Count("id", filter=live & (Q(cross_key=True) | Q(cross_other=True))),
            "local": Count("id", filter=live & (Q(local_key=True) | Q(local_other=True))),
            "key": Count("id", filter=live & (Q(cross_key=True) | Q(local_key=True))),
        }
        rows = (
            scope.applications(drafts=scope.bureau and not scope.state)
            .annotate(day=day)
            .values_list(
                "recommender_id", "category", "state", "published_state", "service_field", "day"
            )
            .annotate(
                n=Count("id"),
                requested=Sum("requested_amount"),
                granted=Sum("funding_granted"),
                support=Sum("bureau_support"),
                **extra,
            )
        )
        for row in rows:
            flags = dict(zip(extra, row[10:], strict=True))
            groups.append(AppGroup(*row[:10], flags))
            totals.update(flags)
    assessments = (
        [
            AssessmentGroup(*row)
            for row in scope.assessments()
            .annotate(day=day)
            .values_list("recommender_id", "state", "day")
            .annotate(n=Count("id"))
        ]
        if scope.wants_assessments
        else []
    )
    tables.append(_funnel(scope, groups, assessments))
    tables.append(_by_recommender(scope, groups, assessments, recommender_labels))
    tables.append(_by_category(scope, groups, assessments))
    tables.append(_money(scope, groups))
    if scope.wants_applications:
        apps = scope.applications()
        tables += _fields_and_forms(groups, _form_counts(apps))
        tables += _support(apps, totals)
        tables += _experts(apps)
    if scope.wants_assessments:
        tables.append(_outcomes(scope))
    tables.append(_per_day(scope, groups, assessments))
    return tables


def _funnel(scope, groups, assessments) -> Table:
    counts = Counter()
    for group in groups:
        n, published = group.n, group.published
        seen = shown(group.state, published, scope.sees_decisions)
        if seen == State.DRAFT:
            counts["draft"] += n
            continue
        counts["submitted"] += n
        if seen in RECOMMENDED_STATES:
            counts["recommended"] += n
        if seen in SELECTED_STATES:
            counts["selected"] += n
        if published:
            counts["published"] += n
    for group in assessments:
        counts["submitted"] += group.n
        if group.state in ASSESSED_STATES:
            counts["recommended"] += group.n
    rows = [
        ["已提交", counts["submitted"]],
        ["已推荐至市人社局", counts["recommended"]],
        ["入选（国家级或市级）", counts["selected"]],
        ["已公布结果", counts["published"]],
    ]
    if scope.bureau:
        rows.insert(0, ["草稿（未提交）", counts["draft"]])
    return Table(
        "funnel",
        "申报进度",
        ["阶段", "项目数"],
        rows,
        chart="bar",
        note="服务团与服务基地评估合计；入选与公布结果只计服务团。",
    )


def _by_recommender(scope, groups, assessments, labels) -> Table:
    per: dict[int, Counter] = {}
    for group in groups:
        if group.state == State.DRAFT:
            continue
        entry = per.setdefault(group.recommender, Counter())
        entry["submitted"] += group.n
        if group.state in RECOMMENDED_STATES:
            entry["recommended"] += group.n
    for group in assessments:
        per.setdefault(group.recommender, Counter())["assessments"] += group.n
    raised = dict(
        RecommenderQuota.objects.filter(call=scope.call).values_list("organisation_id", "quota")
    )
    rows = []
    for rec, entry in per.items():
        if rec is None:
            continue
        quota = raised.get(rec, scope.call.recommender_quota)
        label = labels.get(rec, str(rec))
        is_bureau = rec == (scope.organisation.pk if scope.bureau else None)
        rows.append(
            [
                label,
                entry["submitted"],
                entry["recommended"],
                "—" if is_bureau else quota,
                entry["assessments"],
            ]
        )
    rows.sort(key=lambda row: (-row[1], row[0]))
    return Table(
        "recommenders",
        "按推荐单位",
        ["推荐单位", "收到服务团申报", "已推荐服务团", "推荐名额", "服务基地评估"],
        rows,
        series=(1, 2),
    )


def _by_category(scope, groups, assessments) -> Table:
    counts = Counter()
    for group in groups:
        if group.state != State.DRAFT:
            counts[group.category] += group.n
    rows = [
        ["国家级服务团", counts[Category.NATIONAL]],
        ["市级服务团", counts[Category.MUNICIPAL]],
    ]
    if scope.wants_assessments:
        rows.append(["服务基地评估", sum(group.n for group in assessments)])
    return Table("categories", "按类别", ["类别", "项目数"], rows, chart="pie")


def _money(scope, groups) -> Table:
    """申请经费 of every submitted team; 资助经费 and 配套支持 as recorded (for a recommender,
    once the results are published); each category's cap times its selected teams."""
    sums = {c: [ZERO, ZERO, ZERO, 0] for c in (Category.NATIONAL, Category.MUNICIPAL)}
    for group in groups:
        if group.state == State.DRAFT or group.category not in sums:
            continue
        entry = sums[group.category]
        entry[0] += group.requested or ZERO
        if scope.sees_funding(bool(group.published)):
            entry[1] += group.granted or ZERO
            entry[2] += group.support or ZERO
        if shown(group.state, group.published, scope.sees_decisions) in SELECTED_STATES:
            entry[3] += group.n
    rows = []
    for category, label in (
        (Category.NATIONAL, "国家级服务团"),
        (Category.MUNICIPAL, "市级服务团"),
    ):
        requested, granted, support, selected = sums[category]
        cap = scope.call.cap_for(category)
        rows.append([label, requested, granted, support, cap * selected])
    rows.append(["合计", *(sum(row[i] for row in rows) for i in range(1, 5))])
    return Table(
        "money",
        "经费（万元）",
        ["类别", "申请经费", "资助经费", "配套支持", "上限合计（入选数 × 单项上限）"],
        rows,
        series=(1, 2, 3),
        note="" if scope.sees_funding(False) else "资助经费与配套支持在市人社局公布结果后计入。",
    )


def _holds(field: str, value: str) -> Q:
    """A JSON list field holds `value`: jsonb containment on PostgreSQL (@>), elsewhere a
    match on the stored text, where each value stands in quotes."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"{field}__icontains": f'"{value}"'})


def _form_counts(apps) -> Counter:
    """How many of `apps` name each 服务形式: the stored lists unnested in the database, one
    pass over the rows (a containment test per form read every list nine times, which cost
    统计 more than all its other figures together). A list names a form once, as the form's
    tick boxes give it."""
    sql, params = apps.values("service_forms").query.sql_with_params()
    if connection.vendor == "postgresql":
        unnest = "CROSS JOIN LATERAL jsonb_array_elements_text(s.service_forms) AS f(value)"
    else:
        unnest = "CROSS JOIN json_each(s.service_forms) AS f"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.value, COUNT(*) FROM ({sql}) AS s {unnest} GROUP BY f.value", params
        )
        return Counter(dict(cursor.fetchall()))


def _fields_and_forms(groups, forms: Counter) -> list[Table]:
    fields = Counter()
    for group in groups:
        if group.state != State.DRAFT:
            fields[group.field] += group.n
    top = sorted(fields.items(), key=lambda item: (-item[1], item[0]))[:20]
    field_rows = [[field or "（未填写）", n] for field, n in top]
    form_rows = [[label, forms[value]] for value, label in ServiceForm.choices]
    return [
        Table("fields", "按服务领域（前 20 个）", ["服务领域", "项目数"], field_rows),
        Table("forms", "按服务形式（可多选）", ["服务形式", "项目数"], form_rows),
    ]


def _place_key(level: str):
    """A place's province or 区县 as statistics count it: its GB/T 2260 code (云南 and 云南省
    are one province), or "~" and the typed name of a place the list lacks."""
    code = f"{level}_code"
    return Case(
        When(**{code: ""}, then=Concat(Value("~"), level)),
        default=F(code),
        output_field=CharField(),
    )


def _place_label(key: str, blank: str = "（未填写）") -> str:
    if key.startswith("~"):
        return key[1:] or blank
    return divisions().name(key) or key


def _support(apps, flags) -> list[Table]:
    key_places = ServicePlace.objects.filter(application__in=apps, is_key_county=True).order_by()
    places = (
        key_places.annotate(p=_place_key("province"), k=_place_key("county"))
        .values_list("p", "k")
        .annotate(n=Count("application", distinct=True))
        .order_by("-n", "p", "k")
    )
    county_rows = [
        [f"{_place_label(province, '')}{_place_label(county, '')}", n]
        for province, county, n in places[:30]
    ]
    provinces = Counter()
    province_rows = (
        key_places.annotate(p=_place_key("province"))
        .values_list("p")
        .annotate(n=Count("application", distinct=True))
        .order_by("-n", "p")
    )
    provinces.update({_place_label(p): n for p, n in province_rows})
    support_provinces, support_counties = _support_counties(apps)
    return [
        Table(
            "support",
            "对口帮扶",
            ["情况", "服务团数"],
            [
                ["服务国家乡村振兴重点帮扶县", flags["key"]],
                ["跨省帮扶", flags["cross"]],
                ["省内帮扶", flags["local"]],
            ],
        ),
        Table(
            "key_provinces",
            "重点帮扶县所在省份",
            ["省份", "服务团数"],
            [[p, n] for p, n in provinces.most_common()],
        ),
        Table(
            "key_counties",
            "服务的国家乡村振兴重点帮扶县",
            ["区县", "服务团数"],
            county_rows,
            chart="",
        ),
        Table(
            "support_provinces",
            "对口帮扶县所在省份",
            ["省份", "服务团数"],
            support_provinces,
            note="按全国行政区划代码计（对口帮扶情况中填写的县名称，未能识别的不计）。",
        ),
        Table(
            "support_counties",
            "对口帮扶的区县（前 30 个）",
            ["区县", "服务团数"],
            support_counties,
            chart="",
        ),
    ]


def _support_counties(apps) -> tuple[list[list], list[list]]:
    """对口帮扶 by the counties' codes (Application.support_county_codes): the teams per
    province and per county, one read of the items that name any."""
    provinces, counties = Counter(), Counter()
    places = divisions()
    for codes in apps.exclude(support_county_codes={}).values_list(
        "support_county_codes", flat=True
    ):
        named = {code for box in (codes or {}).values() for code in box}
        counties.update(named)
        provinces.update({code[:2] + "0000" for code in named})
    province_rows = [[places.name(code) or code, n] for code, n in provinces.most_common()]
    county_rows = [
        [f"{places.name(code[:2] + '0000')}{places.name(code)}", n]
        for code, n in sorted(counties.items(), key=lambda item: (-item[1], item[0]))[:30]
    ]
    return province_rows, county_rows


def _experts(apps) -> list[Table]:
    experts = Expert.objects.filter(application__in=apps).order_by()
    talent_values = (Talent.ACADEMICIAN, Talent.SPECIAL_ALLOWANCE, Talent.MAJOR_PROGRAMME)
    counts = experts.aggregate(
        **{f"level_{value}": Count("id", filter=Q(title_level=value)) for value in TitleLevel},
        **{value: Count("id", filter=_holds("talents", value)) for value in talent_values},
        total=Count("id"),
    )
    total = counts["total"]
    levels = {value: counts[f"level_{value}"] for value in TitleLevel}
    level_rows = [[label, levels[value]] for value, label in TitleLevel.choices]
    talents = counts
    talent_rows = [
        ["两院院士", talents[Talent.ACADEMICIAN]],
        ["享受政府特殊津贴", talents[Talent.SPECIAL_ALLOWANCE]],
        ["国家和省部级重大人才工程", talents[Talent.MAJOR_PROGRAMME]],
    ]
    return [
        Table(
            "experts",
            f"服务专家（共 {total} 人）：按职称",
            ["职称层级", "人数"],
            level_rows,
            chart="pie",
        ),
        Table("talents", "服务专家：人才计划与荣誉", ["类别", "人数"], talent_rows),
    ]


def _outcomes(scope) -> Table:
    today = timezone.localdate()
    counts = scope.assessments().aggregate(
        commended=Count("id", filter=Q(state=State.COMMENDED)),
        qualified=Count("id", filter=Q(state=State.QUALIFIED)),
        rectifying=Count(
            "id",
            filter=Q(state__in=[State.RECTIFYING, State.RECTIFICATION_SUBMITTED]),
        ),
        rectified=Count("id", filter=Q(state=State.RECTIFIED)),
        overdue=Count("id", filter=Q(state=State.RECTIFYING, rectify_deadline__lt=today)),
    )
    return Table(
        "outcomes",
        "服务基地评估结果",
        ["结果", "基地数"],
        [
            ["通报表扬", counts["commended"]],
            ["合格", counts["qualified"]],
            ["限期整改（进行中）", counts["rectifying"]],
            ["整改完成", counts["rectified"]],
            ["整改逾期", counts["overdue"]],
        ],
    )


def _per_day(scope, groups, assessments) -> Table:
    days = Counter()
    for group in groups:
        if group.state != State.DRAFT and group.day is not None:
            days[group.day] += group.n
    for group in assessments:
        if group.day is not None:
            days[group.day] += group.n
    deadline = timezone.localtime(scope.call.deadline_for(scope.organisation)).date()
    return Table(
        "per_day",
        f"每日提交（截止 {deadline:%m-%d}）",
        ["日期", "提交数"],
        [[f"{day:%m-%d}", n] for day, n in sorted(days.items())],
        chart="line",
    )


# --- the page's filters, and the .xlsx ----------------------------------------------------------


class YearField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(label="批次", coerce=int, required=False, **kwargs)


def scope_from(data, org, organisations):
    """The scope a page's query string (`data`) asks for, its filter form and the years."""
    filters = QueueFilter(data or None, recommenders=organisations if org.is_bureau else None)
    calls = list(Call.objects.order_by("-year").values_list("year", flat=True))
    year_field = YearField(choices=[("", "当前批次"), *((y, f"{y} 年") for y in calls)])
    try:
        year = year_field.clean(data.get("year", ""))
    except forms.ValidationError:
        year = None
    call = Call.objects.filter(year=year).first() if year else Call.objects.current()
    data = filters.chosen
    scope = Scope(
        call=call,
        organisation=org,
        category=data.get("category") or "",
        recommender=data.get("recommender") if org.is_bureau else None,
        state=data.get("state") or "",
    )
    return scope, filters, calls


def write_workbook(tables, target) -> None:
    """One sheet per table, cells written as the 一览表 writes them (text stays text)."""
    wb = Workbook(write_only=True)
    used = set()
    for table in tables:
        title = table.title.split("（")[0][:28] or table.key
        while title in used:
            title = f"{title[:26]}_{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title=title)
        styles = exports._styles(ws)
        for index in range(1, len(table.columns) + 1):
            ws.column_dimensions[get_column_letter(index)].width = 22 if index == 1 else 14
        ws.append([exports.styled(ws, styles.title, table.title)])
        ws.append([exports.styled(ws, styles.header, c) for c in table.columns])
        for row in table.rows:
            ws.append([exports.styled(ws, styles.body, v) for v in row])
        if table.note:
            ws.append([exports.styled(ws, styles.note, table.note)])
    wb.save(target)
