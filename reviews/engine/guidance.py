"""下一步 and 结果: what each role does next with an item, by when, and what was decided.

The wording of the offline steps lives with the call (Call.unit_steps, recommender_steps), so
the 2027 call edits it in the admin; the rest is NEXT_STEPS, the words of each state (as the
viewer sees it) for each role, read in order.

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
from collections.abc import Callable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from shanghai_experts import visibility
from shanghai_experts.items import fingerprint
from shanghai_experts.models import StampedScanStatus
from shanghai_experts.states import State

from ..models import AuditRecord, StampedScan
from .workflow import submitted_snapshot

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
    if item.item_kind.decided_by_bureau:
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


# --- 下一步: the words of each state, for each role ----------------------------------------


@dataclasses.dataclass(frozen=True)
class Situation:
    """What a state's words may need to say the next step: the item, who reads it, when."""

    item: object
    organisation: object
    now: datetime.datetime | None
    scans: tuple
    result: Result | None

    @property
    def call(self):
        return self.item.call

    @property
    def kind(self):
        return self.item.item_kind

    @property
    def countdown(self) -> str:
        """The reader's own deadline, counted down (截止 …，还有 n 天)."""
        return countdown(self.call.deadline_for(self.organisation), self.now)


#: A step: its text, or a function of the Situation giving a text, several, or none.
Step = str | Callable[[Situation], str | list[str] | None]


def _bureau_decides(text: str) -> Step:
    """`text`, for a kind of item the bureau selects among (附件1) only."""
    return lambda s: text if s.kind.decided_by_bureau else None


def _told(step: Step | None = None) -> Step:
    """The unit's last step: what follows from the result it was told, for a kind the bureau
    decides; otherwise `step`."""

    def words(s: Situation):
        if s.result is not None and s.kind.decided_by_bureau:
            return _result_steps(s.item, s.result, s.call)
        return _say(step, s)

    return words


def _unannounced_or(step: Step | None = None) -> Step:
    """For the bureau, a decision not announced yet; once announced, `step`."""

    def words(s: Situation):
        if not visibility.is_published(s.item):
            return "已作出决定；在“公布结果”公布前，申报单位和推荐单位看不到。"
        return _say(step, s)

    return words


def _submit_by(s: Situation) -> str:
    return f"完善表格后提交（{s.countdown}）。"


def _scan_owed(s: Situation) -> str | None:
    return _scan_step(s.item, s.call, s.scans)


def _offline_steps(s: Situation) -> str | None:
    """The call's own words for the recommender's offline steps (Call.recommender_steps)."""
    if not s.call.recommender_steps:
        return None
    return _steps_text(s.call.recommender_steps, s.call, s.call.deadline_for(s.organisation))


U, R, B = visibility.UNIT, visibility.RECOMMENDER, visibility.BUREAU

#: What each role does next with an item in each state (the state as it sees it), in order:
#: state → role → steps. Every state names every role, with () where that role has nothing
#: to do (tests/test_transition_words.py checks that none is missing).
NEXT_STEPS: dict[str, dict[str, tuple[Step, ...]]] = {
    State.DRAFT: {U: (_submit_by, _told()), R: (), B: ()},
    State.RETURNED: {U: (_submit_by, _told()), R: (), B: ()},
    State.SUBMITTED: {
        U: (
            lambda s: f"等待{s.item.recommender}受理；受理前可撤回修改。",
            _scan_owed,
            _told(),
        ),
        R: (lambda s: f"请受理，或写明意见退回修改（{s.countdown}）。",),
        B: (),
    },
    State.UNDER_REVIEW: {
        U: (_scan_owed, _told(lambda s: f"{s.item.recommender}审核中。")),
        R: (lambda s: f"审核后推荐（填写推荐单位意见）或不予推荐（{s.countdown}）。",),
        B: (),
    },
    State.RECOMMENDED: {
        U: (_scan_owed, _told(_bureau_decides("已报送市人社局评审；结果公布后会收到通知。"))),
        R: (
            _bureau_decides("已推荐至市人社局；截止前可在“推荐排序”调整顺序，或撤回推荐。"),
            _offline_steps,
        ),
        B: (
            lambda s: (
                "分配评审专家并评分，再决定：拟推荐国家级、列入市级服务团或不予入选。"
                if s.kind.decided_by_bureau
                else "作出评估结论：通报表扬、合格或限期整改。"
            ),
        ),
    },
    State.NOT_RECOMMENDED: {U: (_told(),), R: (), B: ()},
    State.NATIONAL_CANDIDATE: {
        U: (_told(),),
        R: (),
        B: (_unannounced_or("待人社部结果：登记批准、转市级或未批准。"),),
    },
    State.MUNICIPAL_TEAM: {U: (_told(),), R: (), B: (_unannounced_or(),)},
    State.NOT_SELECTED: {U: (_told(),), R: (), B: (_unannounced_or(),)},
    State.NATIONAL_TEAM: {U: (_told(),), R: (), B: (_unannounced_or(),)},
    State.COMMENDED: {U: (_told(),), R: (), B: ()},
    State.QUALIFIED: {U: (_told(),), R: (), B: ()},
    State.RECTIFYING: {
        U: (_told("请按整改意见整改，并在期限内提交整改报告。"),),
        R: (),
        B: (),
    },
    State.RECTIFICATION_SUBMITTED: {
        U: (_told("整改报告已提交；市人社局审核后会通知本单位。"),),
        R: (),
        B: ("审核整改报告：验收通过或退回。",),
    },
    State.RECTIFIED: {U: (_told(),), R: (), B: ()},
}


def _say(step: Step | None, situation: Situation) -> list[str]:
    if step is None:
        return []
    said = step(situation) if callable(step) else step
    if not said:
        return []
    return [said] if isinstance(said, str) else list(said)


def next_steps(item, organisation, *, scans=(), now=None, result=None) -> list[str]:
    """What `organisation` does next with `item` (its own view of the state), in order: the
    words of NEXT_STEPS for its role. `scans` are the item's scans (graded by grade_scans),
    `result` what it was told."""
    role = visibility.role_of(organisation, item)
    state = visibility.shown_state(item, organisation)
    steps = NEXT_STEPS[state].get(role, ())
    situation = Situation(item, organisation, now, tuple(scans), result)
    return [text for step in steps for text in _say(step, situation)]
