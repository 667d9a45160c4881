"""The audit log as the bureau reads it: its filter, and its .xlsx (a background job)."""

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from records.models import AuditRecord
from shanghai_experts.items import KINDS
from shanghai_experts.states import State

from ..documents import exports
from ..engine import workflow


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


def records(filters: AuditFilter):
    """The records the filter lets through, newest first."""
    return filters.apply(
        AuditRecord.objects.select_related("actor", "organisation", "content_type").order_by(
            "-created_at", "-id"
        )
    )


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


def rows(records):
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


def write_workbook(chosen, target, progress=None) -> int:
    """The records as .xlsx into `target`, written row by row (openpyxl write-only), so
    100,000 records take constant memory; returns how many."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="审计日志")
    styles = exports._styles(ws)
    for index, width in enumerate((20, 16, 30, 16, 16, 16, 18, 18, 8, 40), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([exports.styled(ws, styles.header, c) for c in AUDIT_COLUMNS])
    total = chosen.count() if progress is not None else 0
    count = 0
    for row in rows(chosen):
        ws.append([exports.styled(ws, styles.body, v) for v in row])
        count += 1
        if progress is not None:
            progress(count, total)
    wb.save(target)
    return count
