"""Business rules of 附件2: completeness on submission, where it goes, its snapshot."""

from __future__ import annotations

from shanghai_experts.forms import Problem, contact_problems, recommender_choices
from shanghai_experts.items import boxes_of
from shanghai_experts.models import Organisation
from shanghai_experts.text import reader_length
from shanghai_experts.validators import is_blank

from .choices import HostType

REQUIRED_FIELDS = (
    "region",
    "industry",
    "host_types",
    "own_experts",
    "external_experts",
    "department",
    "contact_name",
    "office_phone",
    "mobile",
    "email",
    "address",
    "system_building",
    "flexible_talent",
    "activities",
    "funding_use",
    "three_year_plan",
    "activity_count",
    "list_summary",
    "list_goal",
    "applicant_opinion",
)

#: Items 3 and 5 of 二、开展专家服务活动情况 are limited (不超过1000字).
LIMITED_NARRATIVES = ("activities", "three_year_plan")


def submission_problems(assessment) -> list[Problem]:
    """Every reason the form cannot be submitted yet, in the order of the paper form."""
    problems: list[Problem] = []

    def add(field, message):
        problems.append(Problem(field, message))

    for field in REQUIRED_FIELDS:
        value = getattr(assessment, field)
        if is_blank(value) or value == []:
            add(field, "请至少勾选一项。" if field == "host_types" else "此项为必填项。")
    if HostType.OTHER in (assessment.host_types or []) and is_blank(assessment.host_type_other):
        add("host_type_other", "依托单位类型选择“其他”时，请注明类型。")
    if (
        assessment.own_experts is not None
        and assessment.external_experts is not None
        and assessment.own_experts + assessment.external_experts == 0
    ):
        add("own_experts", "对口联系专家（副高及以上职称）合计至少 1 人。")
    problems += contact_problems(assessment)
    limit = assessment.call.base_narrative_limit
    for field in LIMITED_NARRATIVES:
        length = reader_length(getattr(assessment, field))
        if length > limit:
            add(field, f"不超过 {limit} 字（当前 {length} 字）。")
    summary_limit = assessment.call.summary_limit
    length = reader_length(assessment.list_summary)
    if length > summary_limit:
        add("list_summary", f"不超过 {summary_limit} 字（当前 {length} 字），请精简。")
    if assessment.recommender_id is None:
        add("recommender", "请选择推荐单位。")
    elif not allowed_recommenders(assessment.unit).filter(pk=assessment.recommender_id).exists():
        add("recommender", "只能提交本单位所在区人社局或行业主管部门。")
    return problems


def allowed_recommenders(unit: Organisation):
    """A base assessment goes to the unit's district office or a commission (附件2 推荐单位意见:
    委办局、区人社局); unlike 附件1 there is no direct route to the bureau."""
    return recommender_choices(unit, bureau_directly=False)


def snapshot(assessment) -> dict:
    """The submitted content as plain data, for the history's diff and the fingerprint."""

    return boxes_of(
        assessment,
        not_content={
            "base",
            "outcome_opinion",
            "rectify_deadline",
            "rectification_report",
            "rectification_submitted_at",
        },
    )


#: The sections of the 附件2 edit page: anchor, title, the boxes in it.
FORM_SECTIONS = (
    (
        "basic",
        "一、基本信息",
        {
            "region", "industry", "host_types", "host_type_other", "own_experts",
            "external_experts", "department", "contact_name", "office_phone", "mobile",
            "email", "address",
        },
    ),
    (
        "activities",
        "二、开展专家服务活动情况",
        {"system_building", "flexible_talent", "activities", "funding_use", "three_year_plan"},
    ),
    ("list", "一览表信息", {"activity_count", "list_summary", "list_goal"}),
    ("opinion", "单位意见与报送", {"applicant_opinion", "recommender"}),
)  # fmt: skip
