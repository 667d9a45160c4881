"""我的下载: the user's jobs, one job's progress (a page, and the JSON its script polls), and the
finished file, served from the private storage to the one who started it."""

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from records.audit import record
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required

from . import registry, services
from .models import Job

#: How many recent jobs 我的下载 lists.
LISTED = 50


def own_job(request, pk):
    return get_object_or_404(Job, pk=pk)


@permission_required("jobs.list_own_jobs")
def job_list(request):
    jobs = list(Job.objects.filter(user=request.user)[:LISTED])
    return render(request, "jobs/list.html", {"jobs": jobs, "hours": services.file_hours()})


@never_cache
@permission_required("jobs.see_own_job", fn=own_job)
def job_detail(request, job, pk):
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "hours": services.file_hours(),
            "refresh": not job.is_finished,
            # Just started from a page's button: the file downloads by itself when ready,
            # as the button's file did before it was built in the background.
            "started": request.GET.get("started") == "1",
        },
    )


@never_cache
@permission_required("jobs.see_own_job", fn=own_job)
def job_status(request, job, pk):
    """What the progress bar's script reads every second or two."""
    return JsonResponse(
        {
            "state": job.state,
            "state_label": job.get_state_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "finished": job.is_finished,
            "error": job.error,
            "download": (
                f"{job.get_absolute_url()}download/" if job.state == Job.State.DONE else ""
            ),
        }
    )


@permission_required("jobs.see_own_job", fn=own_job)
def job_download(request, job, pk):
    if job.state != Job.State.DONE or not job.file:
        raise Http404
    try:
        handle = services.storage().open(job.file, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    kind = registry.get(job.kind)
    action, label = kind.audit
    # The download is recorded when the file is served, not when it was asked for.
    record(
        Call.objects.filter(pk=job.params.get("call")).first(),
        action=action,
        label=label,
        user=request.user,
        comment=f"{job.file_name}，{job.total} {kind.unit}；条件：{job.params.get('query') or '无'}",
        client_ip=client_ip(request),
    )
    response = FileResponse(handle, content_type=job.content_type or "application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition_header(True, job.file_name)
    if job.size is not None:
        response.headers["Content-Length"] = str(job.size)
    return response


@require_POST
@permission_required("jobs.see_own_job", fn=own_job)
def job_retry(request, job, pk):
    """开始新的任务: the same file asked again (a failed or expired job), as its page offered it."""
    again = services.start(
        job.kind,
        user=request.user,
        organisation=job.organisation,
        label=job.label,
        params=job.params,
    )
    if not again.dispatched:
        messages.warning(request, services.NOT_STARTED)
    return redirect(f"{again.get_absolute_url()}?started=1")
