"""Files that are built as background jobs (jobs): in the tests, with no broker, a job runs at
once inside the request that starts it, which then leads to the job's page."""

from django.urls import reverse

from jobs.models import Job


def job_download(client, response):
    """Follow a started job's redirect to its page, check the page offers the file, and
    return the download's response (its content not read yet)."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    job = page.context["job"]
    assert job.state == Job.State.DONE, (job.state, job.error)
    assert "下载文件" in page.content.decode()
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    return download


def job_file(client, response) -> tuple[bytes, object]:
    """(the file's bytes, the download response) of a started job (see job_download)."""
    download = job_download(client, response)
    return b"".join(download.streaming_content), download


def served(response):
    """The file a page gives: when it started a job (a redirect to the job's page), the job's
    download, fetched as the same user; any other response as it is (a 404 stays a 404)."""
    location = response.get("Location", "") if response.status_code == 302 else ""
    if not location.startswith("/downloads/"):  # (…/downloads/7/?started=1)
        return response
    return job_download(response.client, response)


def content_of(response) -> bytes:
    """The bytes of the file a page gives (see `served`)."""
    response = served(response)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def counted(queries) -> int:
    """The queries of a captured request, less a job's progress writes: those are written at
    most once a second (the worker's heartbeat), so their number follows the clock, not the
    rows."""
    return sum(
        1
        for q in queries.captured_queries
        if not q["sql"].startswith('UPDATE "jobs_job" SET "done"')
    )
