"""What one scan upload may cost: the version cap under concurrency, and PDFs and images that
are small on disk but huge once inflated or decoded. Each case asserts what the uploader reads
and a bound on the time (or memory) the refusal took."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from reviews import workflow
from reviews.models import StampedScan

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory
from .test_scans import png

CAP_REFUSAL = "每份材料最多保留 10 个扫描件版本，已达上限"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="16 uploads at once need a database that takes writes side by side (PostgreSQL, as CI)",
)
def test_sixteen_uploads_at_once_keep_at_most_the_cap(call, settings):
    settings.SCAN_MAX_VERSIONS = 10
    unit = UnitFactory()
    user = UserFactory(organisation=unit)
    app = workflow.transition(CompleteApplicationFactory(call=call, unit=unit), "submit", user=user)
    url = reverse("reviews:upload_scan", args=[app.pk])
    content = png()
    barrier = threading.Barrier(16)
    pages = []

    def upload(n):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            response = client.post(
                url, {"file": SimpleUploadedFile(f"scan{n}.png", content)}, follow=True
            )
            pages.append(response.content.decode())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pages) == 16
    assert StampedScan.objects.filter(object_id=app.pk).count() == 10
    assert sum("已上传" in page for page in pages) == 10
    assert sum(CAP_REFUSAL in page for page in pages) == 6
