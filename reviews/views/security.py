"""The bureau's security pages: the audit log, login lockouts, failing notices."""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Q, Subquery
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from records import audit
from shanghai_experts import lockout
from shanghai_experts.http import client_ip
from shanghai_experts.items import KINDS
from shanghai_experts.permissions import permission_required
from shanghai_experts.states import State

from .. import (
    exports,
    notifications,
    workflow,
)
from ..models import AuditRecord
from .common import PAGE_SIZE


class AuditFilter(forms.Form):
    ACTIONS = [
        ("", "全部操作"),
        ("login", "登录"),
        ("login_failed", "登录失败"),
        ("locked_out", "登录锁定"),
        ("unlock", "解除锁定"),
        ("logout", "退出"),
        ("export", "导出一览表"),
        ("download_zip", "批量下载打印表"),
        ("download_pdf", "下载打印表"),
        ("upload_scan", "上传盖章扫描件"),
        ("download_scan", "下载盖章扫描件"),
        ("register", "单位注册"),
        ("approve_unit", "注册审核通过"),
        ("reject_unit", "注册审核不通过"),
        ("activate", "激活账号"),
        ("onboard", "批量导入单位"),
        ("invite", "邀请同事"),
        ("disable_user", "停用同事账号"),
        ("enable_user", "启用同事账号"),
        ("password_change", "修改密码"),
        ("password_reset", "找回密码"),
        ("password_reset_done", "重设密码"),
        ("otp_enrol", "启用两步验证"),
        ("otp_login", "动态验证码登录"),
        ("otp_codes", "重新生成恢复码"),
        ("otp_disable", "关闭两步验证"),
        ("filing_contact", "填写推荐报送联系人"),
        ("paper_received", "登记书面材料已收到"),
        ("export_statistics", "导出统计"),
        ("export_audit", "导出审计日志"),
        *((a, t.label) for a, t in workflow.TRANSITIONS.items()),
    ]
    action = forms.ChoiceField(label="操作", choices=ACTIONS, required=False)
    outcome = forms.ChoiceField(
        label="结果", choices=[("", "全部结果"), *AuditRecord.Outcome.choices], required=False
    )
    q = forms.CharField(label="用户或机构", max_length=50, required=False)
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )
        self.fields["since"].error_messages["invalid"] = "请输入日期，例如 2026-01-19。"
        self.fields["until"].error_messages["invalid"] = "请输入日期，例如 2026-02-06。"

    def apply(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["outcome"]:
            qs = qs.filter(outcome=data["outcome"])
        if data["q"]:
            qs = qs.filter(
                Q(username__icontains=data["q"])
                | Q(actor__first_name__icontains=data["q"])
                | Q(organisation__name__icontains=data["q"])
                | Q(organisation__short_name__icontains=data["q"])
            )
        if data["since"]:
            qs = qs.filter(created_at__date__gte=data["since"])
        if data["until"]:
            qs = qs.filter(created_at__date__lte=data["until"])
        return qs


@permission_required("reviews.see_security")
def audit_log(request):
    """The bureau's view of the audit trail, newest first, filterable; read only."""
    filters = AuditFilter(request.GET or None)
    records = filters.apply(
        AuditRecord.objects.select_related("actor", "organisation", "content_type").order_by(
            "-created_at", "-id"
        )
    )
    if request.GET.get("format") == "xlsx":
        return _audit_xlsx(request, records)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    _name_items(page.object_list)
    return render(request, "reviews/audit.html", {"filters": filters, "page": page})


AUDIT_COLUMNS = [
    "时间",
    "登录名",
    "机构",
    "来源地址",
    "对象",
    "操作",
    "原状态",
    "新状态",
    "结果",
    "意见",
]


def _audit_rows(records):
    """The records as cells, streamed in chunks; an item is named by its reference number
    (the call's year comes with the row, not from a query per row)."""
    # Each kind of item (shanghai_experts.items) by its content type, with its call's year.
    item_kinds = {ContentType.objects.get_for_model(k.model).pk: k for k in KINDS.values()}
    year_of = {
        f"{k.code}_year": Subquery(
            k.model.objects.filter(pk=OuterRef("object_id")).values("call__year")[:1]
        )
        for k in KINDS.values()
    }
    # Any other object by its kind in Chinese and its number (申报批次 #3, 机构 #12).
    kinds = {
        ct.pk: str(ct.model_class()._meta.verbose_name) if ct.model_class() else ct.model
        for ct in ContentType.objects.all()
    }
    outcomes = dict(AuditRecord.Outcome.choices)
    states = dict(State.choices)
    rows = (
        records.select_related(None)
        .annotate(org_name=F("organisation__name"), **year_of)
        .values_list(
            "created_at",
            "username",
            "org_name",
            "client_ip",
            "content_type_id",
            "object_id",
            "action_label",
            "from_state",
            "to_state",
            "outcome",
            "comment",
            *year_of,
        )
        .iterator(chunk_size=2000)
    )
    for (when, username, org, ip, type_id, object_id, label, before, after, outcome,
         comment, *years) in rows:  # fmt: skip
        if (kind := item_kinds.get(type_id)) is not None:
            year = dict(zip(year_of, years, strict=True))[f"{kind.code}_year"]
            target = kind.reference_for(year, object_id)
        else:
            target = f"{kinds.get(type_id, '')} #{object_id}" if type_id else ""
        yield (
            timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S"),
            username,
            org or "",
            ip or "",
            target,
            label,
            states.get(before, before),
            states.get(after, after),
            outcomes.get(outcome, outcome),
            comment,
        )


def _audit_xlsx(request, records):
    """The filtered audit log as .xlsx, written row by row (openpyxl write-only) so 100,000
    records take constant memory; the export is itself audited."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="审计日志")
    styles = exports._styles(ws)
    for index, width in enumerate((20, 16, 30, 16, 16, 16, 18, 18, 8, 40), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([exports.styled(ws, styles.header, c) for c in AUDIT_COLUMNS])
    count = 0
    for row in _audit_rows(records):
        ws.append([exports.styled(ws, styles.body, v) for v in row])
        count += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    wb.save(handle)
    handle.seek(0)
    audit.record(
        action="export_audit",
        label="导出审计日志",
        user=request.user,
        comment=f"{count} 条；条件：{request.GET.urlencode()}",
        client_ip=client_ip(request),
    )
    filename = f"审计日志-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


def _name_items(records) -> None:
    """Each record's item by its reference number (ZJ2026-00002), two queries a page."""
    kind_of_label = {k.model_label.lower(): k for k in KINDS.values()}

    def kind_of_record(record):
        ct = record.content_type
        return kind_of_label.get(f"{ct.app_label}.{ct.model}") if ct else None

    wanted = {code: set() for code in KINDS}
    for record in records:
        if (kind := kind_of_record(record)) is not None:
            wanted[kind.code].add(record.object_id)
    found = {}
    for code, pks in wanted.items():
        if pks:
            for item in KINDS[code].model.objects.filter(pk__in=pks).select_related("call"):
                found[(code, item.pk)] = item
    for record in records:
        kind = kind_of_record(record)
        record.item_named = found.get((kind.code, record.object_id)) if kind else None


@permission_required("reviews.see_security")
def lockouts(request):
    """Every lock that holds (a login name from one address, an address, a login name), however
    the failures were spread; the bureau lifts each one on its own after checking who asks."""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        username = request.POST.get("username", "")
        address = request.POST.get("address", "")
        if kind == lockout.USERNAME:
            username = request.POST.get("value", username)
        elif kind == lockout.ADDRESS:
            address = request.POST.get("value", address)
        problem = _unlock_problem(kind, username, address)
        if problem:
            messages.error(request, f"未解除：{problem}")
            return redirect("reviews:lockouts")
        parsed = lockout.parse_address(address) if kind != lockout.USERNAME else None
        what = {
            lockout.USERNAME: f"登录名 {username}",
            lockout.ADDRESS: f"来源地址 {parsed}",
            lockout.PAIR: f"登录名 {username} 在来源地址 {parsed}",
        }[kind]
        released = lockout.unlock(kind, username, parsed)
        if released:
            audit.record(
                action="unlock",
                label="解除锁定",
                user=request.user,
                comment=f"解除{what[:220]}的登录锁定（{released} 次失败不再计入）",
                client_ip=client_ip(request),
            )
            messages.success(request, f"已解除{what}的登录锁定；其他锁定不受影响。")
        else:
            messages.info(request, f"{what}当前没有被锁定。")
        return redirect("reviews:lockouts")
    page = Paginator(lockout.locks(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/lockouts.html", {"page": page, "limits": lockout.limits()})


def _unlock_problem(kind: str, username: str, address: str) -> str:
    """Why an unlock request cannot be acted on (in Chinese, naming the field), or ""."""
    if kind not in lockout.KINDS:
        return "请在列表中选择要解除的锁定。"
    if kind != lockout.ADDRESS and (not username or "\x00" in username or len(username) > 150):
        return "登录名为空或含无效字符，请在列表中选择要解除的锁定。"
    if kind != lockout.USERNAME and lockout.parse_address(address) is None:
        return f"来源地址“{address[:60]}”不是有效的 IP 地址，请在列表中选择要解除的锁定。"
    return ""


@permission_required("reviews.see_security")
def failing_mail(request):
    """Notices that keep failing to send: the bureau tells those people another way."""
    page = Paginator(notifications.failing(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/failing_mail.html", {"page": page})
