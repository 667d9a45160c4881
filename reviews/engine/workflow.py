"""The workflow of 附件1 applications and 附件2 assessments, declared as one table.

    draft ──submit──▶ submitted ──accept──▶ under_review ──recommend──▶ recommended ──▶ bureau
      ▲                  │                       │ └──not_recommend──▶ not_recommended
      └─────return───────┴────────return─────────┘   (returned: the unit edits and submits again)

    bureau, 附件1: recommended ──select_national──▶ national_candidate ──mohrss_approve──▶ national_team
                              ──select_municipal─▶ municipal_team  ──mohrss_to_municipal─▶ municipal_team
                              ──decline──────────▶ not_selected    ──mohrss_decline──▶ not_selected
    bureau, 附件2: recommended ──commend──▶ commended (通报表扬)
                              ──qualify──▶ qualified (合格)
                              ──require_rectification (opinion, deadline)──▶ rectifying
            unit: rectifying ──submit_rectification──▶ rectification_submitted
          bureau: rectification_submitted ──accept_rectification──▶ rectified
                                          ──return_rectification──▶ rectifying

`transition()` is the only code that changes an item's state. It checks who may act and the
preconditions, locks the row inside a transaction, writes an audit record and queues e-mail.

Each Transition also carries its words: what its confirmation page says and asks, whom its
notice tells, whether it is the bureau's internal work. The pages, the notice and the history
read them here; what each role does next in each state is reviews.engine.guidance.NEXT_STEPS, and a
state's badge colour shanghai_experts.states.STATE_COLOURS.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from records import audit
from records.models import AuditRecord
from shanghai_experts import items, visibility
from shanghai_experts.items import WorkflowError, fingerprint
from shanghai_experts.models import Organisation, StampedScanStatus
from shanghai_experts.pledge import PLEDGE, PLEDGE_RECORD
from shanghai_experts.states import RECOMMENDED_STATES, STATE_COLOURS, State

from ..models import RecommenderFiling, StampedScan, SubmittedContent
from .notifications import NOBODY, queue_transition_mail

#: The roles that act on an item, as shanghai_experts.visibility names them.
UNIT, RECOMMENDER, BUREAU = visibility.UNIT, visibility.RECOMMENDER, visibility.BUREAU
ACTING_ROLES = frozenset({UNIT, RECOMMENDER, BUREAU})
#: The codes of the item kinds (shanghai_experts.items), which the transitions' `kinds` name.
APPLICATION, ASSESSMENT = items.APPLICATION.code, items.ASSESSMENT.code
BOTH = frozenset({APPLICATION, ASSESSMENT})
ROLE_LABELS = {UNIT: "申报单位", RECOMMENDER: "推荐单位", BUREAU: "市人社局"}


@dataclasses.dataclass(frozen=True)
class Transition:
    """One step of the workflow, with everything said about it: who takes it from where to
    where, what it checks and changes, and its words (the confirmation page, the notice, the
    history). tests/test_transition_words.py checks that every transition has them all."""

    action: str
    label: str
    sources: frozenset[str]
    target: str
    role: str
    #: Which kinds of item it applies to (附件1 applications, 附件2 assessments).
    kinds: frozenset[str] = frozenset({APPLICATION})
    comment_required: bool = False
    #: Each returns a reason (Chinese) when the transition may not happen now.
    checks: tuple[Callable[..., str | None], ...] = ()
    #: Changes made on the locked item before it is saved.
    effects: tuple[Callable[..., None], ...] = ()
    button_class: str = "btn-primary"
    #: What the audit record says besides the comment, from the action's params (the
    #: 信用承诺 of a submission, the 文号 and date of 人社部批准).
    record_note: Callable[[dict], str] | None = None

    # --- its words -------------------------------------------------------------------------
    #: What happens, said on the confirmation page before it happens; "" when the label says
    #: it all. None is a transition whose words were forgotten (the test says which).
    consequence: str | None = None
    #: What happens, said on the page that confirms it for several items at once, when that
    #: says more than `consequence` (the reason a bulk 不予入选 shares).
    consequence_for_many: str = ""
    #: What its comment box is called (the unit reads most of them); "" when it has none.
    comment_label: str = ""
    #: Its confirmation page offers a comment box even though none is required (评估意见).
    comment_offered: bool = False
    #: It asks for a deadline (the 整改期限 of 限期整改).
    asks_deadline: bool = False
    #: It asks for the Ministry's document: the 文号 and date of 人社部批准.
    asks_approval: bool = False
    #: Whom its notice asks to act next besides the unit, which is always told: RECOMMENDER,
    #: BUREAU, UNIT (the unit itself), or NOBODY (whoever acted carries on, or it is over).
    #: None is a transition whose next actor was forgotten.
    next_actor: str | None = None
    #: The bureau's own work: no notice, and no line in the history a unit or recommender
    #: reads (they learn the result from its publication).
    internal: bool = False
    #: A line its notice adds after the comment, from the item as it now stands.
    notice_note: Callable[..., str] | None = None

    @property
    def asks_comment(self) -> bool:
        """Whether its confirmation page shows a comment box."""
        return self.comment_required or self.comment_offered

    @property
    def badge(self) -> str:
        """The badge colour of the state it leads to."""
        return STATE_COLOURS[self.target]


# --- preconditions -----------------------------------------------------------------------


def deadline_open(item, user, now, params) -> str | None:
    deadline = item.call.deadline_for(user.organisation)
    if now > deadline:
        return f"已过截止时间（{timezone.localtime(deadline):%Y-%m-%d %H:%M}），无法提交。"
    return None


def form_complete(item, user, now, params) -> str | None:
    problems = item.submission_problems()
    if problems:
        return f"申报表还有 {len(problems)} 处需要完善，请先更正后再提交。"
    return None


def within_unit_limit(item, user, now, params) -> str | None:
    return item.unit_limit_problem()


def within_quota(item, user, now, params) -> str | None:
    if not item.counts_against_quota:
        return None
    # Two recommendations by one recommender at once must not both take the last place.
    Organisation.objects.select_for_update().filter(pk=item.recommender_id).first()
    quota = item.call.quota_for(user.organisation)
    if quota is None:
        return None  # the direct route has no limit unless the bureau sets one
    used = (
        type(item)
        .objects.filter(call=item.call, recommender=item.recommender, state__in=RECOMMENDED_STATES)
        .exclude(pk=item.pk)
        .count()
    )
    if used >= quota:
        if user.organisation.is_bureau:
            return f"特贴专家领衔项目直报已达上限：可受理 {quota} 个，已受理 {used} 个。"
        return f"推荐名额已满：本单位可推荐 {quota} 个服务团，已推荐 {used} 个。"
    return None


def contact_recorded(item, user, now, params) -> str | None:
    """The notice: 函报 … 注明联系人姓名、电话、手机. A recommender records them before its
    first 推荐 (the bureau, on its direct route, is not writing to itself)."""
    org = user.organisation
    if org.is_bureau:
        return None
    filings = RecommenderFiling.objects.filter(call=item.call, organisation=org)
    if not filings.with_contact().exists():
        return "请先在“推荐报送”中填写本单位本批次的联系人姓名、电话和手机，再推荐。"
    return None


def _latest_scan(item, kind: str):
    return (
        StampedScan.objects.for_model(type(item))
        .filter(object_id=item.pk, kind=kind)
        .order_by("-uploaded_at", "-id")
        .first()
    )


def unit_scan_matches(item, user, now, params) -> str | None:
    """With the call's `require_stamped_scan`: the unit's stamped scan of the submitted
    version, before the recommender recommends."""
    if not item.call.require_stamped_scan:
        return None
    scan = _latest_scan(item, StampedScan.Kind.APPLICANT)
    if scan is None:
        return "本批次须先由申报单位上传盖章扫描件，才能推荐。"
    if scan.matches is not True:
        return (
            "申报单位最新上传的盖章扫描件与提交版本不一致或未能核对校验码，"
            "须上传与提交版本一致的盖章扫描件后才能推荐。"
        )
    return None


def recommender_scan_present(item, user, now, params) -> str | None:
    """With the call's `require_stamped_scan`: the recommender's stamped opinion, before the
    bureau decides (not for the bureau's own direct route)."""
    if not item.call.require_stamped_scan or item.recommender_id == user.organisation_id:
        return None
    if _latest_scan(item, StampedScan.Kind.RECOMMENDER) is None:
        return "本批次须先由推荐单位上传盖章意见扫描件，市人社局才能作出决定。"
    return None


def rectification_deadline_given(item, user, now, params) -> str | None:
    deadline = params.get("deadline")
    if deadline is None:
        return "限期整改须填写整改期限。"
    if deadline <= timezone.localdate(now):
        return "整改期限须晚于今天。"
    if deadline.year > timezone.localdate(now).year + 2:
        return "整改期限不宜超过两年，请核对日期。"
    return None


def pledge_wording(item, user, now, params) -> str | None:
    """A submission carries the 信用承诺 as worded here, or none (older callers); never a
    text of the caller's own."""
    if "pledge" in params and params["pledge"] != PLEDGE:
        return "信用承诺的文字与系统规定的不一致，请刷新页面后重新提交。"
    return None


def pledge_note(params) -> str:
    return PLEDGE_RECORD if params.get("pledge") == PLEDGE else ""


#: 人社部 document numbers as they are printed: 人社厅函〔2026〕58号.
MOHRSS_NUMBER = re.compile(r"^\S{2,30}〔(\d{4})〕\d{1,5}号$")


def normalise_document_number(text: str) -> str:
    """The 文号 as typed by an input method or copied from a scan: brackets of any kind become
    the official 〔〕, spaces go."""
    text = "".join((text or "").split())
    for left in "[［【(（":
        text = text.replace(left, "〔")
    for right in "]］】)）":
        text = text.replace(right, "〕")
    return text


def mohrss_approval_given(item, user, now, params) -> str | None:
    """人社部批准 records the approval's 文号 and date (the bureau copies them from the
    Ministry's document)."""
    number = normalise_document_number(params.get("document_number", ""))
    if not number:
        return "人社部批准文号：请填写人社部批准文件的文号，例如 人社厅函〔2026〕58号。"
    match = MOHRSS_NUMBER.match(number)
    if match is None:
        return "人社部批准文号：格式应为“发文机关代字〔年份〕序号号”，例如 人社厅函〔2026〕58号。"
    approved_on = params.get("approved_on")
    if approved_on is None:
        return "批准日期：请填写人社部批准文件的日期。"
    today = timezone.localdate(now)
    if approved_on > today:
        return "批准日期：不能晚于今天。"
    if approved_on.year < item.call.year - 1:
        return f"批准日期：应在 {item.call.year - 1} 年以后，请核对日期。"
    if int(match.group(1)) != approved_on.year:
        return f"人社部批准文号：文号中的年份（{match.group(1)}）与批准日期的年份不一致。"
    return None


def mohrss_note(params) -> str:
    return (
        f"人社部批准文号：{normalise_document_number(params['document_number'])}；"
        f"批准日期：{params['approved_on']:%Y-%m-%d}"
    )


def report_written(item, user, now, params) -> str | None:
    if not (item.rectification_report or "").strip():
        return "请先填写并保存整改报告，再提交。"
    return None


# --- side effects ------------------------------------------------------------------------


def record_return(item, user, now, comment, params) -> None:
    """The reason of a 退回修改: the unit reads it at the top of its pages."""
    item.return_opinion = comment


def stamp_submitted(item, user, now, comment, params) -> None:
    item.submitted_at = now
    # What a form keeps of itself as submitted, for the lists (附件1: its roster's leader).
    record_leader = getattr(item, "record_leader", None)
    if record_leader is not None:
        record_leader()


def regrade_scan(item, user, now, comment, params) -> None:
    """A new submission decides again what the lists' 盖章件 says of the unit's latest stamped
    scan: 一致 only while it is of the version now submitted (a 退回修改 that changed the form
    leaves a scan of the old version, 已上传 until the new one is stamped and uploaded)."""
    if item.applicant_scan == StampedScanStatus.Scan.NONE:
        return
    latest = _latest_scan(item, StampedScan.Kind.APPLICANT)
    if latest is None:
        return
    of_this_version = latest.expected_fingerprint == fingerprint(item.snapshot())
    item.applicant_scan = StampedScanStatus.grade(of_this_version and latest.matches)


def record_mohrss_approval(item, user, now, comment, params) -> None:
    """The 文号 and date of 人社部's approval, kept on the item (its page and the lists)."""
    item.mohrss_document_number = normalise_document_number(params["document_number"])
    item.mohrss_approved_on = params["approved_on"]


def record_outcome(item, user, now, comment, params) -> None:
    """The bureau's 评估意见 and, for 限期整改, the deadline."""
    item.outcome_opinion = comment
    item.rectify_deadline = params.get("deadline")


def stamp_rectification(item, user, now, comment, params) -> None:
    item.rectification_submitted_at = now


def record_opinion(item, user, now, comment, params) -> None:
    """推荐单位意见, and the next place in the recommender's ranking."""
    item.recommender_opinion = comment
    item.recommender_opinion_date = timezone.localdate(now)
    if item.counts_against_quota:
        last = (
            type(item)
            .objects.filter(call=item.call, recommender=item.recommender)
            .exclude(pk=item.pk)
            .aggregate(m=Max("recommender_rank"))["m"]
        )
        item.recommender_rank = (last or 0) + 1


def clear_rank(item, user, now, comment, params) -> None:
    """A withdrawn recommendation leaves the ranking and frees its quota place."""
    if item.counts_against_quota:
        item.recommender_rank = None
        item.recommender_opinion = ""
        item.recommender_opinion_date = None


def reopen_published(item, user, now, comment, params) -> None:
    """A decision revoked after it was announced: the unit is told it is being reviewed again
    (the notice of this transition), and the published result no longer stands."""
    if getattr(item, "published_state", ""):
        item.published_state = ""


# --- the notice's words ------------------------------------------------------------------


def rectification_due(item) -> str:
    """The 整改期限 the unit must meet, as its notice says it."""
    deadline = getattr(item, "rectify_deadline", None)
    return f"请于 {deadline:%Y年%m月%d日} 前提交整改报告。" if deadline else ""


def _s(*states: str) -> frozenset[str]:
    return frozenset(states)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            "提交",
            _s(State.DRAFT, State.RETURNED),
            State.SUBMITTED,
            UNIT,
            kinds=BOTH,
            checks=(deadline_open, form_complete, within_unit_limit, pledge_wording),
            effects=(stamp_submitted, regrade_scan),
            record_note=pledge_note,
            consequence="",  # confirmed on the edit page, with the 信用承诺
            next_actor=RECOMMENDER,
        ),
        Transition(
            "withdraw",
            "撤回提交",
            _s(State.SUBMITTED),
            State.DRAFT,
            UNIT,
            kinds=BOTH,
            button_class="btn-outline-secondary",
            consequence="撤回后回到草稿，填写的内容全部保留，可修改后在截止时间前重新提交。",
            next_actor=UNIT,
        ),
        Transition(
            "accept",
            "受理",
            _s(State.SUBMITTED),
            State.UNDER_REVIEW,
            RECOMMENDER,
            kinds=BOTH,
            consequence="受理后申报单位不能再撤回，由本单位审核。",
            next_actor=NOBODY,  # the recommender that accepted reviews it
        ),
        Transition(
            "return",
            "退回修改",
            _s(State.SUBMITTED, State.UNDER_REVIEW),
            State.RETURNED,
            RECOMMENDER,
            kinds=BOTH,
            comment_required=True,
            effects=(record_return,),
            button_class="btn-warning",
            consequence="退回后申报单位可修改并重新提交。",
            comment_label="退回意见（申报单位将看到）",
            next_actor=UNIT,
        ),
        Transition(
            "recommend",
            "推荐",
            _s(State.UNDER_REVIEW),
            State.RECOMMENDED,
            RECOMMENDER,
            kinds=BOTH,
            comment_required=True,
            checks=(deadline_open, within_quota, contact_recorded, unit_scan_matches),
            effects=(record_opinion,),
            button_class="btn-success",
            consequence="推荐后报送市人社局，占用本单位 1 个推荐名额。",
            comment_label="推荐单位意见",
            next_actor=BUREAU,
        ),
        Transition(
            "not_recommend",
            "不予推荐",
            _s(State.UNDER_REVIEW),
            State.NOT_RECOMMENDED,
            RECOMMENDER,
            kinds=BOTH,
            comment_required=True,
            button_class="btn-outline-danger",
            consequence="不予推荐后本项目不再报送市人社局。",
            comment_label="不予推荐的理由（申报单位将看到）",
            next_actor=NOBODY,
        ),
        Transition(
            "withdraw_recommendation",
            "撤回推荐",
            _s(State.RECOMMENDED),
            State.UNDER_REVIEW,
            RECOMMENDER,
            kinds=BOTH,
            comment_required=True,
            checks=(deadline_open,),
            effects=(clear_rank,),
            button_class="btn-outline-warning",
            consequence="撤回后回到审核中，释放所占推荐名额；截止时间前可再次推荐。",
            comment_label="撤回推荐的理由",
            next_actor=NOBODY,  # the recommender that withdrew it reviews it again
        ),
        Transition(
            "select_national",
            "拟推荐国家级",
            _s(State.RECOMMENDED),
            State.NATIONAL_CANDIDATE,
            BUREAU,
            checks=(recommender_scan_present,),
            consequence="拟推荐国家级。结果公布前，申报单位和推荐单位看不到本决定。",
            next_actor=BUREAU,  # it records the Ministry's answer
            internal=True,
        ),
        Transition(
            "select_municipal",
            "列入市级服务团",
            _s(State.RECOMMENDED),
            State.MUNICIPAL_TEAM,
            BUREAU,
            checks=(recommender_scan_present,),
            consequence="列入市级服务团。结果公布前，申报单位和推荐单位看不到本决定。",
            next_actor=NOBODY,
            internal=True,
        ),
        Transition(
            "decline",
            "不予入选",
            _s(State.RECOMMENDED),
            State.NOT_SELECTED,
            BUREAU,
            comment_required=True,
            button_class="btn-outline-danger",
            checks=(recommender_scan_present,),
            consequence="不予入选。结果公布前，申报单位和推荐单位看不到本决定。",
            consequence_for_many="不予入选。结果公布前，申报单位和推荐单位看不到本决定；"
            "理由将随结果告知申报单位。",
            comment_label="不予入选的理由",
            next_actor=NOBODY,
            internal=True,
        ),
        Transition(
            "revoke_decision",
            "撤销决定",
            _s(State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM, State.NOT_SELECTED),
            State.RECOMMENDED,
            BUREAU,
            comment_required=True,
            effects=(reopen_published,),
            button_class="btn-outline-warning",
            consequence="撤销后回到“已推荐至市人社局”，可重新决定；"
            "如结果已公布，将通知申报单位重新评审。",
            comment_label="撤销决定的理由",
            # The bureau decides again; a published result that is reopened is news to its
            # staff too (the notice goes out only then: see _transition).
            next_actor=BUREAU,
            internal=True,
        ),
        Transition(
            "mohrss_approve",
            "人社部批准（国家级）",
            _s(State.NATIONAL_CANDIDATE),
            State.NATIONAL_TEAM,
            BUREAU,
            checks=(mohrss_approval_given,),
            effects=(record_mohrss_approval,),
            record_note=mohrss_note,
            consequence="登记人社部批准：列入国家级服务团。请按人社部批准文件填写文号和日期，"
            "二者记入流转记录；公布国家级结果前，申报单位和推荐单位看不到本结果。",
            asks_approval=True,
            next_actor=NOBODY,
            internal=True,
        ),
        Transition(
            "mohrss_to_municipal",
            "人社部未批准，转市级",
            _s(State.NATIONAL_CANDIDATE),
            State.MUNICIPAL_TEAM,
            BUREAU,
            consequence="",
            next_actor=NOBODY,
            internal=True,
        ),
        Transition(
            "mohrss_decline",
            "人社部未批准",
            _s(State.NATIONAL_CANDIDATE),
            State.NOT_SELECTED,
            BUREAU,
            comment_required=True,
            button_class="btn-outline-danger",
            consequence="",
            comment_label="人社部未批准的说明",
            next_actor=NOBODY,
            internal=True,
        ),
        # 附件2: the bureau's outcome and the rectification cycle.
        Transition(
            "commend",
            "通报表扬",
            _s(State.RECOMMENDED),
            State.COMMENDED,
            BUREAU,
            kinds=frozenset({ASSESSMENT}),
            effects=(record_outcome,),
            button_class="btn-success",
            checks=(recommender_scan_present,),
            consequence="",
            comment_label="评估意见",
            comment_offered=True,
            next_actor=NOBODY,
        ),
        Transition(
            "qualify",
            "评为合格",
            _s(State.RECOMMENDED),
            State.QUALIFIED,
            BUREAU,
            kinds=frozenset({ASSESSMENT}),
            effects=(record_outcome,),
            checks=(recommender_scan_present,),
            consequence="",
            comment_label="评估意见",
            comment_offered=True,
            next_actor=NOBODY,
        ),
        Transition(
            "require_rectification",
            "限期整改",
            _s(State.RECOMMENDED),
            State.RECTIFYING,
            BUREAU,
            kinds=frozenset({ASSESSMENT}),
            comment_required=True,
            checks=(
                recommender_scan_present,
                rectification_deadline_given,
            ),
            effects=(record_outcome,),
            button_class="btn-warning",
            consequence="",
            comment_label="整改意见",
            asks_deadline=True,
            next_actor=UNIT,
            notice_note=rectification_due,
        ),
        Transition(
            "submit_rectification",
            "提交整改报告",
            _s(State.RECTIFYING),
            State.RECTIFICATION_SUBMITTED,
            UNIT,
            kinds=frozenset({ASSESSMENT}),
            checks=(report_written, pledge_wording),
            effects=(stamp_rectification,),
            record_note=pledge_note,
            consequence="",  # confirmed on its own page, with the 信用承诺
            next_actor=BUREAU,
        ),
        Transition(
            "accept_rectification",
            "整改验收通过",
            _s(State.RECTIFICATION_SUBMITTED),
            State.RECTIFIED,
            BUREAU,
            kinds=frozenset({ASSESSMENT}),
            button_class="btn-success",
            consequence="",
            next_actor=NOBODY,
        ),
        Transition(
            "return_rectification",
            "退回整改报告",
            _s(State.RECTIFICATION_SUBMITTED),
            State.RECTIFYING,
            BUREAU,
            kinds=frozenset({ASSESSMENT}),
            comment_required=True,
            button_class="btn-warning",
            consequence="",
            comment_label="退回意见（依托单位将看到）",
            next_actor=UNIT,
            notice_note=rectification_due,
        ),
    )
}


#: What each kind of reviewer may do to several items of its list at once.
BULK_ACTIONS = {
    RECOMMENDER: ("accept",),
    BUREAU: ("select_municipal", "decline"),
}


def bulk_role(organisation) -> str:
    return BUREAU if organisation.is_bureau else RECOMMENDER


def bulk_applies(item, organisation) -> bool:
    """Whether the list offers a box for `item`: every bulk action of the viewer can take it
    from its state (a recommender's only for what was sent to it)."""
    role = bulk_role(organisation)
    if role == RECOMMENDER and item.recommender_id != organisation.pk:
        return False
    return all(
        item.state in TRANSITIONS[action].sources
        and item.workflow_kind in TRANSITIONS[action].kinds
        for action in BULK_ACTIONS[role]
    )


#: Audited, but not part of an item's history as its page shows it.
QUIET_ACTIONS = ("download_pdf", "download_scan")

#: The audit record keeps what was submitted, so a later round can show what changed.
SNAPSHOT_ACTIONS = frozenset({"submit"})


def roles_of(user, item) -> set[str]:
    """The roles `user`'s organisation holds for `item`: its role in the visibility matrix
    (visibility.role_of, the one place that decides it) and, for the bureau, the recommender's
    as well on its own direct route (特贴专家领衔项目直报), where it accepts and recommends."""
    org = getattr(user, "organisation", None)
    role = visibility.role_of(org, item)
    roles = {role} & ACTING_ROLES
    if role == BUREAU and item.recommender_id == org.pk:
        roles.add(RECOMMENDER)
    return roles


def refusal(
    item, action: str, user, *, now=None, run_checks: bool = True, params=None
) -> str | None:
    """Why `user` may not take `action` on `item` now, or None when they may."""
    t = TRANSITIONS.get(action)
    if t is None:
        return "未知的操作。"
    if item.workflow_kind not in t.kinds:
        return f"“{t.label}”不适用于{item.item_kind.label}。"
    if t.role not in roles_of(user, item):
        return f"只有{ROLE_LABELS[t.role]}可以执行“{t.label}”。"
    if item.state not in t.sources:
        return f"当前状态为“{item.get_state_display()}”，不能执行“{t.label}”。"
    if run_checks:
        now = now or timezone.now()
        if transaction.get_connection().in_atomic_block:
            return _first_problem(t, item, user, now, params or {})
        # Asked from a page (the edit page's 提交, a confirmation page) rather than from
        # transition(): a check may lock a row (the per-unit limit does), which PostgreSQL
        # only allows inside a transaction.
        with transaction.atomic():
            return _first_problem(t, item, user, now, params or {})
    return None


def _first_problem(t, item, user, now, params) -> str | None:
    for check in t.checks:
        reason = check(item, user, now, params)
        if reason:
            return reason
    return None


def available_actions(item, user) -> list[Transition]:
    """The transitions the UI offers this user now (role and state; checks run on submit)."""
    return [
        t for t in TRANSITIONS.values() if refusal(item, t.action, user, run_checks=False) is None
    ]


def transition(
    item,
    action: str,
    *,
    user,
    comment: str = "",
    client_ip: str | None = None,
    params=None,
    version: int | None = None,
):
    """Take `action` on `item` for `user`; return the updated item or raise WorkflowError.

    `params` carries what an action needs besides a comment (the 整改期限 of 限期整改).
    `version` is the item's version on the page the user acted from: when the item has changed
    since, the action is refused (someone else acted first).
    """
    try:
        return _transition(item, action, user, comment, client_ip, params or {}, version)
    except WorkflowError as exc:
        # A refused attempt is part of the audit trail too (it is not part of the history
        # shown on the item, which lists what happened to it).
        t = TRANSITIONS.get(action)
        audit.record(
            item,
            action=action,
            label=t.label if t else "未知的操作",
            outcome=audit.REFUSED,
            # The state it was refused in, not the caller's possibly stale copy of it.
            from_state=type(item).objects.filter(pk=item.pk).values_list("state", flat=True).first()
            or "",
            user=user,
            comment=str(exc),
            client_ip=client_ip,
        )
        raise


def _transition(item, action, user, comment, client_ip, params, version=None):
    t = TRANSITIONS.get(action)
    if t is None:
        raise WorkflowError("未知的操作。")
    comment = (comment or "").strip()
    if t.comment_required and not comment:
        raise WorkflowError(f"“{t.label}”须填写意见。")
    model = type(item)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=item.pk)
        now = timezone.now()
        if version is not None and locked.version != version:
            raise WorkflowError(
                f"您打开页面后，本项目已被他人处理（当前状态：{locked.get_state_display()}），"
                "请刷新页面查看后再操作。"
            )
        reason = refusal(locked, action, user, now=now, params=params)
        if reason:
            raise WorkflowError(reason)
        from_state = locked.state
        was_published = locked.item_kind.decided_by_bureau and visibility.is_published(locked)
        for effect in t.effects:
            effect(locked, user, now, comment, params)
        locked.state = t.target
        locked.version += 1
        locked.save()
        record = audit.record(
            locked,
            action=t.action,
            label=t.label,
            from_state=from_state,
            to_state=t.target,
            user=user,
            comment="\n".join(
                line for line in (comment, t.record_note and t.record_note(params)) if line
            ),
            client_ip=client_ip,
        )
        if t.action in SNAPSHOT_ACTIONS:
            SubmittedContent.objects.create(record=record, data=locked.snapshot())
        # The bureau's decisions reach units and recommenders by publication, not one by one;
        # a published result that is revoked is news to them, though.
        if not t.internal or (t.action == "revoke_decision" and was_published):
            queue_transition_mail(locked, t, comment)
    return locked


def history(item):
    return (
        AuditRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(type(item)),
            object_id=item.pk,
            outcome=AuditRecord.Outcome.SUCCESS,
        )
        .exclude(action__in=QUIET_ACTIONS)
        .select_related("actor", "organisation", "content")
        .order_by("created_at", "id")
    )


#: The bureau's own work on an item: never in the history a unit or recommender reads. They
#: learn the result from its publication (action "publish"), not from these records. The
#: internal transitions, and the review steps that are not transitions.
BUREAU_INTERNAL_ACTIONS = frozenset(
    {t.action for t in TRANSITIONS.values() if t.internal}
    | {
        "score",
        "funding",
        "national_rank",
        "assign_reviewer",
        "note",  # internal notes show in their own section, to the recommender and the bureau
    }
)


def submitted_snapshot(item) -> dict:
    """The content of the item's last submission, or its current content if never submitted."""
    record = history(item).filter(action="submit", content__isnull=False).order_by("-id").first()
    return record.snapshot if record is not None else item.snapshot()


def history_for(item, organisation) -> list:
    """The history as `organisation` may read it (shanghai_experts.visibility): the bureau
    reads everything; a unit or recommender never reads the bureau's internal work, and sees
    the bureau's people as 市人社局 only."""
    records = history_with_changes(item)
    if visibility.role_of(organisation, item) == visibility.BUREAU:
        for record in records:
            record.show_actor = True
        return records
    shown = []
    for record in records:
        if record.action in BUREAU_INTERNAL_ACTIONS:
            continue
        by_bureau = record.organisation is not None and record.organisation.is_bureau
        record.show_actor = not by_bureau
        shown.append(record)
    return shown


def history_with_changes(item) -> list:
    """The audit trail; each submission after the first lists the boxes it changed, named as
    the item's form labels them (`item.change_label`)."""
    records = list(history(item))
    previous = {}
    for record in records:
        record.changes = []
        if record.snapshot is None:
            continue
        kind = record.action
        if kind in previous:
            record.changes = [
                item.change_label(key)
                for key in record.snapshot
                if record.snapshot.get(key) != previous[kind].get(key)
            ]
        previous[kind] = record.snapshot
    return records
