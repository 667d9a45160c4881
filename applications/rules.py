"""Business rules of 附件1: completeness on submission, where it may go, the per-unit limit,
its snapshot. They read the instance only, so the model can call them (the workflow's protocol)."""

from __future__ import annotations

from decimal import Decimal

from shanghai_experts.divisions import divisions
from shanghai_experts.forms import Problem, contact_problems, recommender_choices
from shanghai_experts.items import boxes_of
from shanghai_experts.models import Organisation
from shanghai_experts.states import State
from shanghai_experts.text import plain_number, plain_value, reader_length
from shanghai_experts.validators import (
    format_error,
    is_blank,
    validate_mobile,
    validate_uscc,
)

from .choices import QUALIFYING_TITLE_LEVELS, ServiceForm

#: The sections that hold rows; a problem on a row names its section and the row.
ROW_SECTIONS = {
    "experts": "服务专家名单",
    "places": "活动地点",
    "budget_items": "预算明细",
    "funding_sources": "经费来源",
}


REQUIRED_FIELDS = (
    "name",
    "category",
    "expert_count",
    "service_count",
    "service_days",
    "start_date",
    "end_date",
    "service_field",
    "department",
    "contact_name",
    "office_phone",
    "mobile",
    "email",
    "service_content",
    "budget_total",
    "requested_amount",
    "summary",
    "service_goal",
    "professional_field",
    "applicant_opinion",
)

#: 职称 that are intermediate or junior whatever level is ticked beside them (讲师 is not 正高).
BELOW_ASSOCIATE_TITLES = frozenset(
    {
        "讲师", "助教", "工程师", "助理工程师", "技术员", "助理研究员", "研究实习员",
        "医师", "住院医师", "主治医师", "护师", "主管护师", "护士", "药师", "主管药师",
        "技师", "主管技师", "会计师", "助理会计师", "经济师", "助理经济师", "农艺师",
        "助理农艺师", "畜牧师", "兽医师", "实验师", "助理实验师", "编辑", "助理编辑",
        "馆员", "助理馆员", "统计师", "助理统计师", "审计师", "助理审计师", "中学一级教师",
        "中学二级教师", "小学一级教师",
    }
)  # fmt: skip

ASSISTANCE_BOXES = ("cross_key", "cross_other", "local_key", "local_other")


def _label(app, field: str) -> str:
    return str(app._meta.get_field(field).verbose_name)


def submission_problems(app) -> list[Problem]:
    """Every reason `app` cannot be submitted, in the order of the paper form."""
    call = app.call
    problems: list[Problem] = []

    def add(field, message, section=None, row_pk=None):
        problems.append(Problem(field, message, section, row_pk))

    for field in REQUIRED_FIELDS:
        if is_blank(getattr(app, field)):
            add(field, "此项为必填项。")

    uscc_error = format_error(app.unit.uscc, validate_uscc)
    if uscc_error:
        add("unit", f"本单位{uscc_error}请联系管理员更正机构信息。")

    if app.relies_on_base is None:
        add("relies_on_base", "请选择是否依托专家服务基地。")
    elif app.relies_on_base:
        if not app.base_level:
            add("base_level", "依托专家服务基地时，请选择基地级别（部级、省级、市级）。")
        if is_blank(app.base_name):
            add("base_name", "依托专家服务基地时，请填写基地名称。")

    if app.service_count is not None and app.service_count < 1:
        add("service_count", "服务次数至少为 1 次。")
    if app.service_days is not None:
        if app.service_days < call.min_service_days:
            add(
                "service_days",
                f"服务团累计服务时长不少于 {call.min_service_days} 天（当前 {plain_number(app.service_days)} 天）。",
            )
        elif app.start_date and app.end_date and app.end_date >= app.start_date:
            period_days = (app.end_date - app.start_date).days + 1
            if app.service_days > period_days:
                add(
                    "service_days",
                    f"累计服务时长 {plain_number(app.service_days)} 天超过了开始至结束时间的 {period_days} 天。",
                )

    _check_dates(app, call, add)

    problems += contact_problems(app)

    for box in ASSISTANCE_BOXES:
        ticked, counties = getattr(app, box), getattr(app, f"{box}_counties")
        if ticked and is_blank(counties):
            add(f"{box}_counties", "已勾选此项，请填写县（市、区）名称。")
        if not ticked and not is_blank(counties):
            add(box, "填写了县名称，请勾选此项，或清空县名称。")

    forms = app.service_forms or []
    if not forms:
        add("service_forms", "请至少选择一种服务形式。")
    if ServiceForm.OTHER in forms and is_blank(app.service_form_other):
        add("service_form_other", "选择“其他”时，请填写具体服务形式。")

    for field, limit in (
        ("service_content", call.service_content_limit),
        ("summary", call.summary_limit),
    ):
        length = reader_length(getattr(app, field))
        if length > limit:
            add(field, f"不超过 {limit} 字（当前 {length} 字）。")

    _check_money(app, call, add)
    _check_experts(app, add)
    _check_places(app, add)
    _check_recommender(app, add)
    return problems


def _check_dates(app, call, add) -> None:
    first, last = call.service_year_start, call.service_year_end
    for field in ("start_date", "end_date"):
        value = getattr(app, field)
        if value and not first <= value <= last:
            add(field, f"应在 {call.year} 年内（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}）。")
    if app.start_date and app.end_date and app.end_date < app.start_date:
        add("end_date", "结束时间不能早于开始时间。")


def _check_money(app, call, add) -> None:
    items = list(app.budget_items.all())
    sources = list(app.funding_sources.all())
    total, requested = app.budget_total, app.requested_amount
    if requested is not None and app.category:
        cap = call.cap_for(app.category)
        if requested > cap:
            add(
                "requested_amount",
                f"{app.get_category_display()}专家服务团经费支持不超过 {plain_number(cap)} 万元。",
            )
    if requested is not None and total is not None and requested > total:
        add("requested_amount", "申请资助经费不能超过项目经费预算金额。")
    for section, rows, name_field, noun in (
        ("budget_items", items, "item", "预算明细"),
        ("funding_sources", sources, "source", "经费来源"),
    ):
        if not rows:
            add(section, f"请至少填写一项{noun}。")
            continue
        for row in rows:
            if is_blank(getattr(row, name_field)):
                add(name_field, "此项为必填项。", section, row.pk)
            if row.amount is None:
                add("amount", "此项为必填项。", section, row.pk)
            elif row.amount <= 0:
                add("amount", "金额应大于 0。", section, row.pk)
        subtotal = sum((row.amount or Decimal(0) for row in rows), Decimal(0))
        if total is not None and subtotal != total:
            gap = subtotal - total
            add(
                section,
                f"{noun}合计 {plain_number(subtotal)} 万元，与项目经费预算金额 "
                f"{plain_number(total)} 万元不一致（{'多' if gap > 0 else '少'} "
                f"{plain_number(abs(gap))} 万元）。",
            )


def _check_experts(app, add) -> None:
    experts = list(app.experts.all())
    if not experts:
        add("experts", "请填写参与服务的专家名单。")
        return
    for expert in experts:
        for field in ("name", "work_unit", "affiliation", "title", "title_level", "mobile"):
            if is_blank(getattr(expert, field)):
                add(field, "此项为必填项。", "experts", expert.pk)
        if expert.title_level and expert.title_level not in QUALIFYING_TITLE_LEVELS:
            add("title_level", "专家应具有副高级及以上专业技术职称。", "experts", expert.pk)
        elif expert.title_level and (expert.title or "").strip() in BELOW_ASSOCIATE_TITLES:
            add(
                "title",
                f"“{expert.title.strip()}”是中级或初级职称，与所选的"
                f"“{expert.get_title_level_display()}”不符。",
                "experts",
                expert.pk,
            )
        if not is_blank(expert.mobile):
            error = format_error(expert.mobile.strip(), validate_mobile)
            if error:
                add("mobile", error, "experts", expert.pk)
        if "other" in (expert.talents or []) and is_blank(expert.talent_other):
            add("talent_other", "选择“其他”时，请写明人才计划或荣誉。", "experts", expert.pk)
    if not any(expert.is_leader for expert in experts):
        add("experts", "请至少指定一名领衔专家。")
    if app.expert_count is not None and app.expert_count != len(experts):
        add(
            "expert_count",
            f"参与服务专家人数为 {app.expert_count} 人，与专家名单的 {len(experts)} 人不一致。",
        )


def _check_places(app, add) -> None:
    places = list(app.places.all())
    if not places:
        add("places", "请至少填写一个活动地点。")
    for place in places:
        for field in ("province", "city", "county"):
            if field == "county" and place.city_code and not divisions().counties(place.city_code):
                continue  # 东莞市、中山市…: no 区县 under it
            if is_blank(getattr(place, field)):
                add(
                    f"{field}_code",
                    "此项为必填项：请从列表中选择，列表中没有时在下方填写。",
                    "places",
                    place.pk,
                )


def allowed_recommenders(app):
    """Where the unit may send the application: its district office or a commission; the
    bureau directly when a 领衔专家 enjoys the State Council special allowance."""
    return recommender_choices(app.unit, bureau_directly=True)


def led_by_special_allowance_expert(app) -> bool:
    return any(e.is_leader and e.has_special_allowance for e in app.experts.all())


def _check_recommender(app, add) -> None:
    if app.recommender_id is None:
        add("recommender", "请选择推荐单位。")
        return
    recommender = app.recommender
    if not allowed_recommenders(app).filter(pk=recommender.pk).exists():
        add("recommender", "只能向本单位所在区人社局或行业主管部门申报。")
    elif recommender.is_bureau and not led_by_special_allowance_expert(app):
        add(
            "recommender",
            "只有享受政府特殊津贴专家领衔的项目可直接向市人社局申报；"
            "请在专家名单中为领衔专家勾选“享受政府特殊津贴”，或选择区人社局、行业主管部门。",
        )


def unit_limit_problem(app) -> str | None:
    """The per-unit limit of the call, counted under a lock on the unit's row."""
    Organisation.objects.select_for_update().filter(pk=app.unit_id).first()
    limit = app.call.applications_per_unit
    others = (
        type(app)
        .objects.filter(call=app.call, unit=app.unit)
        .exclude(pk=app.pk)
        .exclude(state=State.DRAFT)
        .count()
    )
    if others >= limit:
        return f"每个申报单位本批次限报 {limit} 个项目，本单位已提交 {others} 个，不能再提交。"
    return None


def snapshot(app) -> dict:
    """The submitted content as plain data: for the history's diff and the fingerprint."""

    data = boxes_of(
        app,
        not_content={
            "creation_token",
            # What recommenders and the bureau record later is not the unit's submitted
            # content: the printed fingerprint must not change when an item is ranked, scored
            # or funded.
            "recommender_rank",
            "bureau_rank",
            "funding_granted",
            "bureau_support",
            "score_mean",
            "score_spread",
            "score_count",
            "published_state",
            # The list's copy of the first 领衔专家: the roster itself is below.
            "leader_title_level",
            "leader_talents",
            "mohrss_document_number",  # the Ministry's approval, recorded by the bureau
            "mohrss_approved_on",
        },
    )
    # From .all(), so rows prefetched for a batch (the ZIP of PDFs) cost no further query.
    rows = {
        "experts": (
            "name",
            "work_unit",
            "affiliation",
            "title",
            "title_level",
            "talents",
            "talent_other",
            "specialty",
            "mobile",
            "is_leader",
        ),
        "places": ("province", "city", "county", "is_key_county"),
        "budget_items": ("item", "amount"),
        "funding_sources": ("source", "amount"),
    }
    for relation, fields in rows.items():
        data[relation] = [
            {f: plain_value(getattr(row, f)) for f in fields}
            for row in getattr(app, relation).all()
        ]
    return data


def section_label(app, key: str) -> str:
    """The label of a snapshot key: a box of the form or a section of rows."""
    if key in ROW_SECTIONS:
        return ROW_SECTIONS[key]
    return _label(app, key)


#: The sections of the edit page, in the paper form's order: anchor, title, the boxes in it.
FORM_SECTIONS = (
    (
        "basic",
        "一、基本信息",
        {
            "name", "unit", "category", "relies_on_base", "base", "base_level", "base_name",
            "expert_count", "service_count", "start_date", "end_date", "service_days",
            "service_field", "department", "contact_name", "office_phone", "mobile", "email",
        },
    ),
    ("places", "活动地点", {"places"}),
    (
        "assistance",
        "对口帮扶",
        {
            "cross_key", "cross_key_counties", "cross_other", "cross_other_counties",
            "local_key", "local_key_counties", "local_other", "local_other_counties",
            "assistance",
        },
    ),
    ("content", "服务形式与内容", {"service_forms", "service_form_other", "service_content"}),
    ("experts", "服务专家", {"experts"}),
    ("money", "二、经费保障", {"budget_total", "requested_amount", "budget_items", "funding_sources"}),
    ("summary", "三、一览表信息", {"summary", "service_goal", "professional_field"}),
    ("opinion", "四、意见与提交", {"applicant_opinion", "recommender"}),
)  # fmt: skip
