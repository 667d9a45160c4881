"""The bureau's security pages: the audit log, login lockouts, failing notices."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from records import audit, outbox
from shanghai_experts import lockout
from shanghai_experts.http import client_ip
from shanghai_experts.items import KINDS
from shanghai_experts.permissions import permission_required

from ..operations.audit_log import AuditFilter
from ..operations.audit_log import records as audit_records
from .background import start_export
from .common import PAGE_SIZE


@permission_required("reviews.see_security")
def audit_log(request):
    """The bureau's view of the audit trail, newest first, filterable; read only."""
    filters = AuditFilter(request.GET or None)
    records = audit_records(filters)
    if request.GET.get("format") == "xlsx":
        return start_export(request, "audit_xlsx", f"审计日志（{timezone.localdate():%Y-%m-%d}）")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    _name_items(page.object_list)
    return render(request, "reviews/audit.html", {"filters": filters, "page": page})


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
    page = Paginator(outbox.failing(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/failing_mail.html", {"page": page})
