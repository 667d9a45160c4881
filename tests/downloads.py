"""Files that are built as background jobs (jobs): in the tests, with no broker, a job runs at
once inside the request that starts it, which then leads to the job's page."""

from django.urls import reverse

from jobs.models import Job


def job_file(client, response) -> tuple[bytes, object]:
    """Follow a started job's redirect to its page, check the page offers the file, and
    download it: (the file's bytes, the download response)."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    job = page.context["job"]
    assert job.state == Job.State.DONE, (job.state, job.error)
    assert "下载文件" in page.content.decode()
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    return b"".join(download.streaming_content), download
