"""Starting a file as a background job from the page that offers it (jobs, reviews.bundles)."""

from django.contrib import messages
from django.shortcuts import redirect

from jobs import services as jobs


def start_export(request, kind: str, label: str, **params):
    """Start job `kind` for the user with the page's query string (its filters), and show its
    progress page; a broker that cannot take it now is said in Chinese, the job kept."""
    query = request.GET.copy()
    query.pop("format", None)
    job = jobs.start(
        kind,
        user=request.user,
        organisation=request.user.organisation,
        label=label,
        params={"query": query.urlencode(), **params},
    )
    if not job.dispatched:
        messages.warning(request, jobs.NOT_STARTED)
    return redirect(f"{job.get_absolute_url()}?started=1")
