"""Stamped scans: the type from the content, the size limit, scope, and version matching."""

import datetime
import io
from importlib import import_module

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.models import Application
from reviews.documents import printing
from reviews.engine import workflow
from reviews.models import AuditRecord, StampedScan, SubmittedContent

from .factories import AssessmentFactory, CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture
def app(call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


@pytest.fixture
def unit_client(client, app):
    client.force_login(UserFactory(organisation=app.unit))
    return client


def png(text_size=64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (text_size, text_size), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, app, name, content, **extra):
    return client.post(
        reverse("reviews:upload_scan", args=[app.pk]),
        {"file": SimpleUploadedFile(name, content), **extra},
        follow=True,
    ).content.decode()


def test_printed_pdf_matches_the_submitted_version(unit_client, app):
    page = upload(unit_client, app, "盖章件.pdf", printing.form_pdf(app))
    fingerprint = printing.fingerprint(app.snapshot())
    assert f"扫描件的校验码 {fingerprint} 与提交版本一致" in page
    scan = StampedScan.objects.get()
    assert (scan.kind, scan.media_type, scan.matches) == ("applicant", "application/pdf", True)
    name = scan.file.name
    assert scan.file.storage.exists(name) and name.endswith(".pdf") and "盖章件" not in name
    assert AuditRecord.objects.filter(action="upload_scan", object_id=app.pk).exists()


def test_a_pdf_of_another_version_is_flagged(unit_client, app, call):
    other = CompleteApplicationFactory(call=call, unit=UnitFactory(), name="别的服务团")
    page = upload(unit_client, app, "scan.pdf", printing.form_pdf(other))
    assert "与提交版本的" in page and "不一致" in page
    assert StampedScan.objects.get().matches is False


def test_an_image_with_the_typed_fingerprint(unit_client, app):
    fingerprint = printing.fingerprint(app.snapshot())
    page = upload(unit_client, app, "scan.png", png(), fingerprint=fingerprint.lower())
    assert "与提交版本一致" in page
    upload(unit_client, app, "scan2.png", png(), fingerprint="0000-0000-0000")
    upload(unit_client, app, "scan3.png", png())
    assert list(StampedScan.objects.order_by("id").values_list("matches", flat=True)) == [
        True,
        False,
        None,
    ]


def test_a_renamed_exe_is_refused(unit_client, app):
    page = upload(unit_client, app, "盖章件.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    assert "未上传：盖章扫描件：只接受 PDF、JPEG 或 PNG 格式的扫描件（按文件内容识别）。" in page
    assert not StampedScan.objects.exists()


def test_a_broken_image_is_refused(unit_client, app):
    page = upload(unit_client, app, "scan.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    assert "图片文件已损坏或不完整" in page
    assert not StampedScan.objects.exists()


def test_an_oversized_file_is_refused(unit_client, app, settings):
    settings.SCAN_MAX_BYTES = 2048
    page = upload(unit_client, app, "big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096)
    # The upload stopped while it streamed: its size was never known, only that it passed 2 KB.
    assert "未上传：盖章扫描件：文件过大，扫描件不超过 2 KB。" in page
    assert not StampedScan.objects.exists()


def test_a_bad_typed_fingerprint_is_named(unit_client, app):
    page = upload(unit_client, app, "scan.png", png(), fingerprint="12345")
    assert "未上传：校验码（可选）：校验码应为 12 位字母数字" in page


def test_another_units_file_is_a_404(client, unit_client, app):
    upload(unit_client, app, "scan.png", png())
    scan = StampedScan.objects.get()
    url = reverse("reviews:scan", args=[scan.pk])
    assert unit_client.get(url).status_code == 200
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(organisation=UnitFactory().district))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(organisation=app.recommender))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert AuditRecord.objects.filter(action="download_scan").count() == 2


def test_a_scan_whose_file_is_gone_is_a_404_and_no_download_is_recorded(unit_client, app):
    upload(unit_client, app, "scan.png", png())
    scan = StampedScan.objects.get()
    scan.file.storage.delete(scan.file.name)
    assert unit_client.get(reverse("reviews:scan", args=[scan.pk])).status_code == 404
    assert not AuditRecord.objects.filter(action="download_scan").exists()


def test_a_stranger_cannot_upload(client, app):
    client.force_login(UserFactory(organisation=UnitFactory()))
    response = client.post(
        reverse("reviews:upload_scan", args=[app.pk]),
        {"file": SimpleUploadedFile("scan.png", png())},
    )
    assert response.status_code == 404


def test_no_scan_before_submission_and_recommender_after_recommending(client, call):
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    draft = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(unit_user)
    page = upload(client, draft, "scan.png", png())
    assert "请先提交，再打印盖章并上传扫描件。" in page
    app = workflow.transition(draft, "submit", user=unit_user)
    recommender = UserFactory(organisation=unit.district)
    client.force_login(recommender)
    assert "推荐后再上传盖章的推荐意见。" in upload(client, app, "op.png", png())
    app = workflow.transition(app, "accept", user=recommender)
    app = workflow.transition(app, "recommend", user=recommender, comment="同意")
    upload(client, app, "op.png", png())
    assert StampedScan.objects.get().kind == "recommender"


def test_assessment_scans(client, call):
    item = AssessmentFactory(call=call)
    unit_user = UserFactory(organisation=item.unit)
    item = workflow.transition(item, "submit", user=unit_user)
    client.force_login(unit_user)
    page = client.post(
        reverse("reviews:assessment_upload_scan", args=[item.pk]),
        {"file": SimpleUploadedFile("附件2.pdf", printing.form_pdf(item))},
        follow=True,
    ).content.decode()
    assert "与提交版本一致" in page and 'data-testid="scans"' in page


def test_records_about_an_item_leave_its_fingerprint_alone(unit_client, app):
    """The printed fingerprint is the unit's submitted content: uploading the stamped scan (the
    list's 盖章件 grade) or the bureau's receipt of the paper form must not change it, or the
    next PDF printed would no longer match the stamped one."""
    before = printing.fingerprint(app.snapshot())
    upload(unit_client, app, "盖章件.pdf", printing.form_pdf(app))
    Application.objects.filter(pk=app.pk).update(paper_received_on=datetime.date(2026, 2, 1))
    app.refresh_from_db()
    assert app.applicant_scan == app.Scan.MATCHING and app.paper_received_on
    assert printing.fingerprint(app.snapshot()) == before
    snapshot = app.snapshot()
    for kept in ("applicant_scan", "paper_received_on", "paper_received_by", "leader_talents"):
        assert kept not in snapshot


def test_stored_submissions_lose_the_record_keys_they_once_took(app):
    """Migration reviews.0020: a version stored with a paper-receipt key fingerprints as the
    PDF of the same content now prints."""
    stored = SubmittedContent.objects.get(record__object_id=app.pk, record__action="submit")
    stored.data = {**stored.data, "paper_received_on": None, "paper_received_by": None}
    stored.save()
    assert printing.fingerprint(workflow.submitted_snapshot(app)) != printing.fingerprint(
        app.snapshot()
    )
    import_module("reviews.migrations.0020_submitted_content_without_records").drop_record_keys(
        apps, None
    )
    assert printing.fingerprint(workflow.submitted_snapshot(app)) == printing.fingerprint(
        app.snapshot()
    )


@pytest.mark.filesystem_storage
def test_stored_scans_are_the_service_users_alone(unit_client, app, private_root):
    upload(unit_client, app, "盖章件.pdf", printing.form_pdf(app))
    stored = private_root / StampedScan.objects.get().file.name
    assert stored.stat().st_mode & 0o777 == 0o600
    for folder in (stored.parent, stored.parent.parent, stored.parent.parent.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
