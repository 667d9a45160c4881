"""The states an item (附件1 application or 附件2 assessment) passes through."""

from django.db import models


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交，待推荐单位受理"
    UNDER_REVIEW = "under_review", "推荐单位审核中"
    RETURNED = "returned", "已退回修改"
    RECOMMENDED = "recommended", "已推荐至市人社局"
    NOT_RECOMMENDED = "not_recommended", "未获推荐"
    NATIONAL_CANDIDATE = "national_candidate", "拟推荐国家级"
    MUNICIPAL_TEAM = "municipal_team", "列入市级服务团"
    NOT_SELECTED = "not_selected", "未入选"
    NATIONAL_TEAM = "national_team", "列入国家级服务团"
    # 附件2 base assessments: the bureau's outcome and the rectification cycle.
    COMMENDED = "commended", "通报表扬"
    QUALIFIED = "qualified", "合格"
    RECTIFYING = "rectifying", "限期整改"
    RECTIFICATION_SUBMITTED = "rectification_submitted", "整改报告待审核"
    RECTIFIED = "rectified", "整改完成"


#: The unit may edit the form in these states.
EDITABLE_STATES = frozenset({State.DRAFT, State.RETURNED})

#: Recommended to the bureau, whatever the bureau decided since: these use the quota.
RECOMMENDED_STATES = frozenset(
    {
        State.RECOMMENDED,
        State.NATIONAL_CANDIDATE,
        State.MUNICIPAL_TEAM,
        State.NATIONAL_TEAM,
        State.NOT_SELECTED,
    }
)

#: An assessment the recommender has sent on, whatever the bureau decided since.
ASSESSED_STATES = frozenset(
    {
        State.RECOMMENDED,
        State.COMMENDED,
        State.QUALIFIED,
        State.RECTIFYING,
        State.RECTIFICATION_SUBMITTED,
        State.RECTIFIED,
    }
)

#: The colour of each state's badge (a Bootstrap context: text-bg-<colour>), wherever an item's
#: state is shown (its page, the lists, a transition's target).
STATE_COLOURS = {
    State.DRAFT: "secondary",
    State.SUBMITTED: "primary",
    State.UNDER_REVIEW: "info",
    State.RETURNED: "warning",
    State.RECOMMENDED: "success",
    State.NOT_RECOMMENDED: "dark",
    State.NATIONAL_CANDIDATE: "success",
    State.MUNICIPAL_TEAM: "success",
    State.NATIONAL_TEAM: "success",
    State.NOT_SELECTED: "dark",
    State.COMMENDED: "success",
    State.QUALIFIED: "success",
    State.RECTIFYING: "warning",
    State.RECTIFICATION_SUBMITTED: "primary",
    State.RECTIFIED: "success",
}
