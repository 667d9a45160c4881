"""Files: the stamp-ready PDFs, their ZIP, and the stamped scans."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jobs import services as jobs
from records import audit
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required

from .. import bundles
from ..documents import printing, scans
from ..engine import workflow
from ..models import StampedScan
from .common import item_getter


def _printed_item(request, pk, kind=workflow.APPLICATION):
    related = ("call", "unit", "recommender") + (("base",) if kind == workflow.ASSESSMENT else ())
    return item_getter(*related)(request, pk, kind)


def _scan(request, pk):
    """A stored scan with its item (scan.item): its rule asks whether the item may be seen."""
    scan = get_object_or_404(StampedScan.objects.select_related("content_type"), pk=pk)
    model = scan.content_type.model_class()
    scan.item = get_object_or_404(model.objects.all(), pk=scan.object_id)
    return scan


@permission_required("reviews.print_item", fn=_printed_item)
def item_pdf(request, item, pk, kind=workflow.APPLICATION):
    """The stamp-ready PDF of one 附件1 or 附件2, for whoever may see the item."""
    content = printing.form_pdf(item)
    audit.record(
        item,
        action="download_pdf",
        label="下载打印表",
        user=request.user,
        comment=printing.filename_for(item),
        client_ip=client_ip(request),
        state=item.state,
    )
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response.headers["Content-Disposition"] = content_disposition_header(
        disposition == "attachment", printing.filename_for(item)
    )
    return response


@permission_required("reviews.see_queue")
def zip_pdfs(request):
    """The PDFs of the user's list (as filtered), or of the items ticked, in one ZIP: built in
    the background (jobs), whatever its size; the page shows its progress."""
    org = request.user.organisation
    call = Call.objects.current()
    if call is None:
        raise Http404
    params = bundles.zip_params(request)
    apps, assessments, _, _ = bundles.zip_selection(request.user, call, params)
    total = apps.count() + assessments.count()
    if total == 0:
        messages.error(request, "没有可打包的项目：请先勾选项目，或调整筛选条件。")
        return redirect("reviews:queue")
    job = jobs.start(
        "zip_pdfs",
        user=request.user,
        organisation=org,
        label=f"{call.year}年申报表打包（{total} 份）",
        params={**params, "call": call.pk},
    )
    if not job.dispatched:
        messages.warning(request, jobs.NOT_STARTED)
    return redirect(f"{job.get_absolute_url()}?started=1")


@require_POST
@permission_required("reviews.scan_item", fn=item_getter())
def upload_scan(request, item, pk, kind=workflow.APPLICATION):
    form = scans.ScanForm(request.POST, request.FILES)
    if getattr(request, "upload_too_large", False):
        limit = scans.human_size(settings.SCAN_MAX_BYTES)
        messages.error(request, f"未上传：盖章扫描件：文件过大，扫描件不超过 {limit}。")
        return redirect(item)
    refusal = scans.upload_refusal(request.user, item)
    if refusal:  # before the file is read: no check is spent on an upload refused anyway
        messages.error(request, f"未上传：{refusal}")
        return redirect(item)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else "上传"
            messages.error(request, f"未上传：{label}：{'；'.join(errors)}")
        return redirect(item)
    try:
        scan = scans.store(
            item,
            user=request.user,
            upload=form.cleaned_data["file"],
            typed=form.cleaned_data["fingerprint"],
            client_ip=client_ip(request),
        )
    except workflow.WorkflowError as exc:
        messages.error(request, f"未上传：{exc}")
        return redirect(item)
    if scan.matches is True:
        messages.success(
            request, f"已上传。扫描件的校验码 {scan.found_fingerprint} 与提交版本一致。"
        )
    elif scan.matches is False:
        messages.warning(
            request,
            f"已上传，但扫描件的校验码 {scan.found_fingerprint} 与提交版本的 "
            f"{scan.expected_fingerprint} 不一致：请确认打印的是最后提交的版本。",
        )
    else:
        messages.info(request, "已上传。未能从扫描件识别校验码，可在上传时输入页脚的校验码核对。")
    return redirect(item)


# Named on the page Django's parser leads to when the file's name is too long to receive
# (shanghai_experts.upload_errors).
upload_scan.upload_label = scans.ScanForm.base_fields["file"].label


@permission_required("reviews.download_scan", fn=_scan)
def download_scan(request, scan, pk):
    """A stored scan, for those who may see its item; everyone else gets a 404 (and so does a
    scan whose file is missing from the storage)."""
    item = scan.item
    try:
        handle = scan.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit.record(
        item,
        action="download_scan",
        label="下载盖章扫描件",
        user=request.user,
        comment=scan.original_name,
        client_ip=client_ip(request),
        state=item.state,
    )
    return FileResponse(
        handle,
        content_type=scan.media_type,
        as_attachment=bool(request.GET.get("download")),
        filename=f"{item.reference}-{scan.get_kind_display()}{scan.extension}",
    )
