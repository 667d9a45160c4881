"""下一步: what each role does next with an item, by when, and the notice's offline steps.

The wording of the offline steps lives with the call (Call.unit_steps, recommender_steps), so
the 2027 call edits it in the admin; the rest follows from the state the viewer sees.
"""

from __future__ import annotations

import math

from django.utils import timezone

from shanghai_experts import visibility
from shanghai_experts.states import EDITABLE_STATES, State

from .models import StampedScan


def countdown(deadline, now=None) -> str:
    now = now or timezone.now()
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return f"已截止（{timezone.localtime(deadline):%Y-%m-%d %H:%M}）"
    days = math.ceil(seconds / 86400)
    return f"截止 {timezone.localtime(deadline):%Y-%m-%d %H:%M}，还有 {days} 天"


def _steps_text(template: str, call, deadline) -> str:
    return template.replace("{deadline}", f"{timezone.localtime(deadline):%Y年%m月%d日}").replace(
        "{email}", call.bureau_email or "市人社局指定邮箱"
    )


def next_steps(item, organisation, *, scans=(), now=None) -> list[str]:
    """What `organisation` does next with `item` (its own view of the state), in order."""
    call = item.call
    role = visibility.role_of(organisation, item)
    state = visibility.shown_state(item, organisation)
    steps = []
    if role == visibility.UNIT:
        deadline = call.deadline_for(organisation)
        if state in EDITABLE_STATES:
            steps.append(f"完善表格后提交（{countdown(deadline, now)}）。")
        elif state == State.SUBMITTED:
            steps.append(f"等待{item.recommender}受理；受理前可撤回修改。")
        if state not in EDITABLE_STATES:
            has_scan = any(s.kind == StampedScan.Kind.APPLICANT for s in scans)
            if not has_scan and call.unit_steps:
                steps.append(call.unit_steps)
        if state == State.UNDER_REVIEW:
            steps.append(f"{item.recommender}审核中。")
        elif state == State.RECOMMENDED and item.workflow_kind == "application":
            steps.append("已报送市人社局评审；结果公布后会收到通知。")
        elif state == State.RECTIFYING:
            steps.append("请按整改意见整改，并在期限内提交整改报告。")
    elif role == visibility.RECOMMENDER:
        deadline = call.deadline_for(organisation)
        if state == State.SUBMITTED:
            steps.append(f"请受理，或写明意见退回修改（{countdown(deadline, now)}）。")
        elif state == State.UNDER_REVIEW:
            steps.append(
                f"审核后推荐（填写推荐单位意见）或不予推荐（{countdown(deadline, now)}）。"
            )
        elif state == State.RECOMMENDED:
            if item.workflow_kind == "application":
                steps.append("已推荐至市人社局；截止前可在“推荐排序”调整顺序，或撤回推荐。")
            if call.recommender_steps:
                steps.append(_steps_text(call.recommender_steps, call, deadline))
    elif role == visibility.BUREAU:
        if item.state == State.RECOMMENDED and item.workflow_kind == "application":
            steps.append("分配评审专家并评分，再决定：拟推荐国家级、列入市级服务团或不予入选。")
        elif item.state == State.RECOMMENDED:
            steps.append("作出评估结论：通报表扬、合格或限期整改。")
        elif item.state in visibility.DECISION_STATES and not visibility.is_published(item):
            steps.append("已作出决定；在“公布结果”公布前，申报单位和推荐单位看不到。")
        elif item.state == State.NATIONAL_CANDIDATE:
            steps.append("待人社部结果：登记批准、转市级或未批准。")
        elif item.state == State.RECTIFICATION_SUBMITTED:
            steps.append("审核整改报告：验收通过或退回。")
    return steps
