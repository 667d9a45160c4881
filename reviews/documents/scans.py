"""Stamped scans: what may be uploaded, by whom, and whether it matches the submitted form.

The type is read from the file's first bytes, never from its name. What the file holds is
read in a child process whose CPU, memory and time are bounded (shanghai_experts.filecheck):
an image must decode whole within a pixel limit, a PDF's streams must inflate within a size
limit. A PDF with a text layer is searched for the printed fingerprint; otherwise the
uploader may type the fingerprint printed at the foot of the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from records import audit
from shanghai_experts import filecheck, visibility
from shanghai_experts.models import StampedScanStatus
from shanghai_experts.states import State

from ..engine import workflow
from ..engine.workflow import WorkflowError
from ..models import StampedScan
from . import printing

PDF = "application/pdf"
SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(head: bytes) -> str | None:
    """The media type the content says it is (PDF, JPEG or PNG), or None."""
    for signature, media_type in SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


class ScanForm(forms.Form):
    file = forms.FileField(
        label="盖章扫描件",
        help_text="PDF、JPEG 或 PNG 格式。",
        error_messages={"required": "请选择要上传的扫描件。", "empty": "上传的文件是空的。"},
    )
    fingerprint = forms.CharField(
        label="校验码（可选）",
        required=False,
        max_length=20,
        help_text="扫描件为图片时，可输入打印表页脚的校验码，例如 1A2B-3C4D-5E6F。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SCAN_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{human_size(upload.size)}），扫描件不超过 {human_size(limit)}。"
            )
        upload.seek(0)
        media_type = sniff(upload.read(16))
        upload.seek(0)
        if media_type is None:
            raise forms.ValidationError("只接受 PDF、JPEG 或 PNG 格式的扫描件（按文件内容识别）。")
        # Read in a child process under CPU, memory and time limits: a PDF is refused when
        # its streams inflate past a bound, an image when it has too many pixels or stops
        # before its pixels do. A PDF's text layer comes back for the fingerprint.
        try:
            verdict = filecheck.check(upload.read(), "pdf" if media_type == PDF else "image")
        finally:
            upload.seek(0)
        if verdict.refusal:
            raise forms.ValidationError(verdict.refusal)
        upload.media_type = media_type
        upload.text_layer = verdict.text if media_type == PDF else ""
        return upload

    def clean_fingerprint(self):
        typed = self.cleaned_data["fingerprint"].strip().upper().replace(" ", "")
        if not typed:
            return ""
        found = printing.fingerprints_in_text(typed)
        if len(found) != 1:
            raise forms.ValidationError("校验码应为 12 位字母数字，格式如 1A2B-3C4D-5E6F。")
        return found.pop()


def pdf_text(upload) -> str:
    """The text layer of a PDF, or "" when it has none, cannot be read or is refused (the
    check runs in a child process under limits: shanghai_experts.filecheck)."""
    upload.seek(0)
    try:
        verdict = filecheck.check(upload.read(), "pdf")
    finally:
        upload.seek(0)
    return verdict.text if verdict.refusal is None else ""


#: The longest original file name kept (the column's length); a longer one loses the end of
#: its stem.
NAME_MAX_CHARS = 200


def short_name(name: str) -> str:
    """The uploader's file name as shown beside the scan: no control characters, and at most
    NAME_MAX_CHARS, keeping its extension."""
    name = "".join(ch for ch in (name or "") if ch.isprintable()).strip() or "扫描件"
    if len(name) <= NAME_MAX_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[: NAME_MAX_CHARS - 1] + "…"
    return stem[: NAME_MAX_CHARS - len(extension) - 2] + "…." + extension


def kind_for(user, item) -> str | None:
    """Which scan this user uploads for this item: the unit its form, the recommender its
    opinion. None when they upload nothing here."""
    org = user.organisation
    if org is None:
        return None
    if item.unit_id == org.pk:
        return StampedScan.Kind.APPLICANT
    if item.recommender_id == org.pk:
        return StampedScan.Kind.RECOMMENDER
    return None


#: While a stamped scan is still asked for, by the state its uploader sees the item in
#: (shanghai_experts.visibility.shown_state: a decision not yet announced reads as 已推荐).
#: The unit's stamped form is asked for from its submission until the bureau's result (the
#: recommender checks it before 推荐, the bureau keeps it with the paper form); the
#: recommender's stamped opinion from its 推荐 until the bureau's result (the bureau decides
#: with it). After a result (不予推荐, 入选 or 不予入选 announced, 人社部's answer, a base's
#: outcome) neither is asked for any more, so neither is accepted.
ACCEPTED_IN = {
    StampedScan.Kind.APPLICANT: frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.RECOMMENDED}),
    StampedScan.Kind.RECOMMENDER: frozenset({State.RECOMMENDED}),
}


def state_refusal(kind: str, state: str) -> str | None:
    """Why a scan of `kind` is not accepted in `state` (as its uploader sees it), or None."""
    if state in ACCEPTED_IN[kind]:
        return None
    if state == State.DRAFT:
        return "请先提交，再打印盖章并上传扫描件。"
    if state == State.RETURNED:
        return "已退回修改：请修改后重新提交，再打印新提交的版本盖章并上传扫描件。"
    if kind == StampedScan.Kind.RECOMMENDER and state in (State.SUBMITTED, State.UNDER_REVIEW):
        return "推荐后再上传盖章的推荐意见。"
    return f"本项目已是“{State(state).label}”，不再需要盖章扫描件，不能再上传。"


def upload_refusal(user, item) -> str | None:
    """Why this user may not upload a stamped scan for this item now, or None."""
    kind = kind_for(user, item)
    if kind is None:
        return "只有申报单位和推荐单位可以上传盖章扫描件。"
    reason = state_refusal(kind, visibility.shown_state(item, user.organisation))
    if reason:
        return reason
    kept = scans_of(item).filter(kind=kind).count()
    if kept >= settings.SCAN_MAX_VERSIONS:
        return (
            f"每份材料最多保留 {settings.SCAN_MAX_VERSIONS} 个扫描件版本，已达上限；"
            "如需更换，请联系市人社局。"
        )
    return None


def store(item, *, user, upload, typed: str = "", client_ip=None) -> StampedScan:
    """Keep the scan privately, note whether its fingerprint matches, and audit it.

    The cap on versions is counted under a lock on the item's row (as the workflow's
    transitions take it): a second upload for the same item waits until the first has
    committed, so 16 uploads at once keep at most SCAN_MAX_VERSIONS between them."""
    reason = upload_refusal(user, item)  # early, before any work; decided again under the lock
    if reason:
        raise WorkflowError(reason)
    seen = set()
    if upload.media_type == PDF:
        text = getattr(upload, "text_layer", None)
        seen = printing.fingerprints_in_text(pdf_text(upload) if text is None else text)
    model = type(item)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=item.pk)
        reason = upload_refusal(user, locked)
        if reason:
            raise WorkflowError(reason)
        expected = printing.fingerprint(workflow.submitted_snapshot(locked))
        found = expected if expected in seen else (sorted(seen)[0] if seen else "")
        if not found and typed:
            found = typed
        scan = StampedScan(
            content_type=ContentType.objects.get_for_model(model),
            object_id=item.pk,
            kind=kind_for(user, item),
            original_name=short_name(upload.name),
            media_type=upload.media_type,
            size=upload.size,
            uploaded_by=user,
            organisation=user.organisation,
            expected_fingerprint=expected,
            found_fingerprint=found,
            matches=(found == expected) if found else None,
        )
        scan.file.save("scan", upload, save=False)
        try:
            scan.save()
        except Exception:
            scan.file.delete(save=False)  # no row, no file
            raise
        if scan.kind == StampedScan.Kind.APPLICANT:
            # The latest scan decides what lists show in their 盖章件 column.
            grade = StampedScanStatus.grade(scan.matches)
            model.objects.filter(pk=item.pk).update(applicant_scan=grade)
            item.applicant_scan = grade
        verdict = {True: "校验码一致", False: "校验码不一致", None: "未识别校验码"}[scan.matches]
        audit.record(
            item,
            action="upload_scan",
            label="上传盖章扫描件",
            user=user,
            comment=f"{scan.get_kind_display()}：{scan.original_name}（{verdict}）",
            client_ip=client_ip,
            state=locked.state,
        )
    return scan


def scans_of(item):
    return (
        StampedScan.objects.for_model(type(item))
        .filter(object_id=item.pk)
        .select_related("uploaded_by", "organisation")
    )


def context_for(user, item) -> dict:
    """What an item page shows of its scans, and whether this user may upload one."""
    refusal = upload_refusal(user, item)
    kind = kind_for(user, item)
    return {
        "scans": list(scans_of(item)),
        "scan_form": ScanForm() if refusal is None else None,
        "scan_kind": kind,
        # Why the unit or recommender sees no upload box in this state (nobody else uploads
        # here; the cap on versions is told when an upload meets it).
        "scan_refusal": (
            state_refusal(kind, visibility.shown_state(item, user.organisation))
            if kind is not None
            else None
        ),
        "scan_max_pixels": f"{filecheck.MAX_PIXELS // 10_000} 万",
    }
