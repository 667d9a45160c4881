"""下一步 and 结果: what each role does next with an item, by when, and what was decided.

The wording of the offline steps lives with the call (Call.unit_steps, recommender_steps), so
the 2027 call edits it in the admin; the rest follows from the state the viewer sees.

The result of an item (`result_for`) is what its unit and recommender are told at the top of
its pages once the bureau publishes (shanghai_experts.visibility: nothing before): the outcome,
the reason of a negative one, the date, the funding, and whether a 立项通知 can be printed. A
published result that the bureau revoked says so, with its reason, until the next publication.
附件2 outcomes are not held back.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from shanghai_experts import visibility
from shanghai_experts.items import fingerprint
from shanghai_experts.models import StampedScanStatus
from shanghai_experts.states import EDITABLE_STATES, State

from .models import AuditRecord, StampedScan
from .printing import submitted_snapshot

#: Before the bureau's outcome: the unit's stamped copy is still asked for.
AWAITING_OUTCOME = frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.RECOMMENDED})

#: The audit records a result is read from.
RESULT_ACTIONS = (
    "publish",
    "revoke_decision",
    "decline",
    "mohrss_decline",
    "mohrss_to_municipal",
    "mohrss_approve",
    "not_recommend",
    "commend",
    "qualify",
    "require_rectification",
    "submit_rectification",
    "accept_rectification",
)

SUCCESS, INFO, WARNING, DANGER = "success", "info", "warning", "danger"


@dataclasses.dataclass(frozen=True)
class Result:
    """What was decided on an item, as its reader is told it."""

    outcome: str  # 列入2026年市级专家服务团
    tone: str  # the banner's colour: success, info, warning, danger
    when: datetime.datetime  # announced (or decided, for what is not held back)
    when_label: str  # 公布日期, 决定日期
    reason: str = ""  # the reason of a negative outcome or revocation; the bureau's opinion
    detail: str = ""
    funding: Decimal | None = None
    support: Decimal | None = None
    #: A selected team: a stamp-ready 立项通知 can be printed.
    notice: bool = False
    #: The final category of a selected team (国家级 / 市级).
    category: str = ""
    #: Recommended 国家级, not approved by 人社部, listed 市级 instead.
    moved: bool = False
    #: 附件2 限期整改: the date the report is due.
    deadline: datetime.date | None = None

    @property
    def reason_label(self) -> str:
        """理由 for a negative outcome or a revocation; 意见 for the bureau's assessment."""
        return "理由" if self.tone in (DANGER, WARNING) and not self.deadline else "意见"


def _records(items) -> dict[tuple[int, int], list[AuditRecord]]:
    """The result-bearing audit records of `items`, oldest first: one query per kind."""
    by_model: dict[type, list[int]] = defaultdict(list)
    for item in items:
        by_model[type(item)].append(item.pk)
    found: dict[tuple[int, int], list[AuditRecord]] = defaultdict(list)
    for model, ids in by_model.items():
        content_type = ContentType.objects.get_for_model(model)
        records = (
            AuditRecord.objects.filter(
                content_type=content_type,
                object_id__in=ids,
                action__in=RESULT_ACTIONS,
                outcome=AuditRecord.Outcome.SUCCESS,
            )
            .only("object_id", "action", "to_state", "comment", "created_at")
            .order_by("created_at", "id")
        )
        for record in records:
            found[(content_type.pk, record.object_id)].append(record)
    return found


def _last(records, *actions):
    for record in reversed(records):
        if record.action in actions:
            return record
    return None


def _first_after(records, first, *actions):
    return next((r for r in records[records.index(first) + 1 :] if r.action in actions), None)


def _after(records, first, *actions) -> bool:
    """Whether a record of `actions` comes after `first` (or anywhere, when `first` is None)."""
    start = records.index(first) + 1 if first is not None else 0
    return any(r.action in actions for r in records[start:])


def results_for(items, organisation) -> dict[int, Result]:
    """The results `organisation` may read of `items` (all of one kind or mixed), by the
    item's id(): two queries at most, whatever the number of items."""
    records = _records(items)
    out = {}
    for item in items:
        key = (ContentType.objects.get_for_model(type(item)).pk, item.pk)
        result = _result(item, organisation, records.get(key, []))
        if result is not None:
            out[id(item)] = result
    return out


def result_for(item, organisation) -> Result | None:
    return results_for([item], organisation).get(id(item))


def _result(item, organisation, records) -> Result | None:
    role = visibility.role_of(organisation, item)
    if role not in (visibility.UNIT, visibility.RECOMMENDER, visibility.BUREAU):
        return None
    if item.workflow_kind == "application":
        return _application_result(item, organisation, records)
    return _assessment_result(item, records)


def _application_result(app, organisation, records) -> Result | None:
    year = app.call.year
    if app.state == State.NOT_RECOMMENDED:
        record = _last(records, "not_recommend")
        if record is None:
            return None
        return Result(
            outcome=f"{app.recommender}不予推荐",
            tone=DANGER,
            when=record.created_at,
            when_label="决定日期",
            reason=record.comment,
            detail=f"本项目未推荐至市人社局，不参加{year}年市级评审。",
        )
    published = getattr(app, "published_state", "")
    publish = _last(records, "publish")
    if not published:
        # The revocation that withdrew the announced result: the first after the last
        # publication (a later 撤销决定 of an unannounced decision is the bureau's own work).
        if publish is None:
            return None
        revoke = _first_after(records, publish, "revoke_decision")
        if revoke is None:
            return None
        return Result(
            outcome="市人社局已撤销此前公布的评审结果",
            tone=WARNING,
            when=revoke.created_at,
            when_label="撤销日期",
            reason=revoke.comment,
            detail="本项目重新进入市人社局评审；新的结果公布后会再通知。",
        )
    when = publish.created_at if publish is not None else app.updated_at
    funding = support = None
    if visibility.may_see(organisation, app, "funding"):
        funding, support = app.funding_granted, app.bureau_support
    revoked = _last(records, "revoke_decision")
    if published == State.NATIONAL_TEAM:
        number = getattr(app, "mohrss_document_number", "")
        return Result(
            outcome=f"列入{year}年国家级专家服务团",
            tone=SUCCESS,
            when=when,
            when_label="公布日期",
            detail="经市人社局推荐，人力资源社会保障部批准"
            + (f"（{number}）" if number else "")
            + "。",
            funding=funding,
            support=support,
            notice=True,
            category="国家级",
        )
    if published == State.MUNICIPAL_TEAM:
        via_mohrss = _after(records, revoked, "mohrss_to_municipal")
        return Result(
            outcome=f"列入{year}年市级专家服务团",
            tone=SUCCESS,
            when=when,
            when_label="公布日期",
            detail="经市人社局推荐国家级，人力资源社会保障部未批准，转列入市级专家服务团。"
            if via_mohrss
            else "经市人社局综合评估，列入本市专家服务团。",
            funding=funding,
            support=support,
            notice=True,
            category="市级",
            moved=via_mohrss,
        )
    if published == State.NATIONAL_CANDIDATE:
        return Result(
            outcome="拟推荐国家级：已由市人社局推荐至人力资源社会保障部",
            tone=INFO,
            when=when,
            when_label="公布日期",
            detail="人力资源社会保障部遴选后，市人社局将公布国家级结果并通知本单位。",
        )
    if published == State.NOT_SELECTED:
        record = _last(records, "decline", "mohrss_decline")
        by_mohrss = record is not None and record.action == "mohrss_decline"
        return Result(
            outcome="人力资源社会保障部未批准，未列入专家服务团" if by_mohrss else "不予入选",
            tone=DANGER,
            when=when,
            when_label="公布日期",
            reason=record.comment if record is not None else "",
            detail=f"本项目未列入{year}年专家服务团。",
        )
    return None


ASSESSMENT_OUTCOMES = {
    State.COMMENDED: ("commend", "专家服务基地动态管理评估：通报表扬", SUCCESS),
    State.QUALIFIED: ("qualify", "专家服务基地动态管理评估：合格", SUCCESS),
    State.RECTIFYING: ("require_rectification", "市人社局要求限期整改", WARNING),
    State.RECTIFICATION_SUBMITTED: ("submit_rectification", "整改报告已提交，待市人社局审核", INFO),
    State.RECTIFIED: ("accept_rectification", "整改验收通过", SUCCESS),
}


def _assessment_result(assessment, records) -> Result | None:
    outcome = ASSESSMENT_OUTCOMES.get(assessment.state)
    if outcome is None:
        return None
    action, words, tone = outcome
    record = _last(records, action)
    detail = ""
    if assessment.state == State.COMMENDED:
        detail = f"依托单位在{assessment.call.year + 1}年度专家服务活动申报中予以优先支持。"
    reason = assessment.outcome_opinion or ""
    if assessment.state == State.RECTIFICATION_SUBMITTED:
        reason = ""
    return Result(
        outcome=words,
        tone=tone,
        when=record.created_at if record is not None else assessment.updated_at,
        when_label="提交日期" if assessment.state == State.RECTIFICATION_SUBMITTED else "决定日期",
        reason=reason,
        detail=detail,
        deadline=assessment.rectify_deadline
        if assessment.state in (State.RECTIFYING, State.RECTIFICATION_SUBMITTED)
        else None,
    )


# --- the stamped scans, graded as the lists grade them ------------------------------------


def grade_scans(item, scans) -> str:
    """Mark each scan of `item` with `of_version` (it was printed from the version now
    submitted) and `grade` (StampedScanStatus: 一致 only for a matching scan of this version,
    the rule of the lists' 盖章件 column; the unit's latest scan reads the column itself).
    Returns the fingerprint of the version now submitted."""
    current = fingerprint(submitted_snapshot(item))
    latest = latest_applicant_scan(scans)
    for scan in scans:
        scan.of_version = scan.expected_fingerprint == current
        if scan is latest:
            scan.grade = item.applicant_scan
        else:
            scan.grade = StampedScanStatus.grade(scan.of_version and scan.matches)
        scan.is_current = scan.grade == StampedScanStatus.Scan.MATCHING
    return current


def latest_applicant_scan(scans):
    applicant = [s for s in scans if s.kind == StampedScan.Kind.APPLICANT]
    return max(applicant, key=lambda s: (s.uploaded_at, s.pk), default=None)


def _scan_step(item, call, scans) -> str | None:
    """What the unit still owes of its stamped copy of the submitted version, if anything."""
    latest = latest_applicant_scan(scans)
    if latest is None:
        return call.unit_steps or None
    if item.applicant_scan == StampedScanStatus.Scan.MATCHING:
        return None
    if getattr(latest, "of_version", True) is False:
        return (
            "已上传的盖章扫描件是此前提交版本的，与现在提交的版本不一致：请重新打印当前版本的"
            "申报表（PDF），加盖单位公章后扫描，在本页上传新的盖章件。"
        )
    if latest.matches is False:
        return (
            "最新上传的盖章扫描件校验码与提交版本不一致：请打印当前版本的申报表（PDF），"
            "盖章后重新上传。"
        )
    return (
        "最新上传的盖章扫描件未能识别校验码：请上传带文字层的 PDF，或上传图片时输入打印表"
        "页脚的校验码。"
    )


def _result_steps(item, result, call) -> list[str]:
    """The unit's next step once it has a result."""
    if result.notice:
        return [
            "下载并保存立项通知；按申报的服务计划组织专家开展服务活动："
            f"服务团累计服务时长不少于{call.min_service_days}天，每次应解决1-2个具体问题。",
            "活动结束后按市人社局要求报送服务记录和总结报告。",
        ]
    if result.outcome.startswith("拟推荐国家级"):
        return ["等待人力资源社会保障部遴选结果；结果公布后会收到通知。"]
    if item.state == State.NOT_RECOMMENDED:
        return ["本批次未获推荐；可参考推荐单位的意见完善服务方案，参加下一年度申报。"]
    if result.tone == DANGER:
        return ["本批次未入选；可参考意见完善服务方案，参加下一年度申报。"]
    if result.when_label == "撤销日期":
        return ["市人社局重新评审中；新的结果公布后会收到通知。"]
    return []


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


def next_steps(item, organisation, *, scans=(), now=None, result=None) -> list[str]:
    """What `organisation` does next with `item` (its own view of the state), in order.
    `scans` are the item's scans (graded by grade_scans), `result` what it was told."""
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
        if state in AWAITING_OUTCOME:
            scan_step = _scan_step(item, call, scans)
            if scan_step:
                steps.append(scan_step)
        if result is not None and item.workflow_kind == "application":
            steps += _result_steps(item, result, call)
        elif state == State.UNDER_REVIEW:
            steps.append(f"{item.recommender}审核中。")
        elif state == State.RECOMMENDED and item.workflow_kind == "application":
            steps.append("已报送市人社局评审；结果公布后会收到通知。")
        elif state == State.RECTIFYING:
            steps.append("请按整改意见整改，并在期限内提交整改报告。")
        elif state == State.RECTIFICATION_SUBMITTED:
            steps.append("整改报告已提交；市人社局审核后会通知本单位。")
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
