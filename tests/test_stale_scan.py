"""A stamped scan of an earlier version, after a 退回修改 and a resubmission: the item page
grades it as the lists do (已上传, not 一致), and 下一步 asks the unit for a new stamped copy."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Application
from reviews.documents import printing
from reviews.engine import workflow
from shanghai_experts.models import StampedScanStatus

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory


def upload(client, app):
    """The printed PDF of the submitted version, as a stamped scan with its text layer."""
    response = client.post(
        reverse("reviews:upload_scan", args=[app.pk]),
        {"file": SimpleUploadedFile("盖章件.pdf", printing.form_pdf(app))},
    )
    assert response.status_code == 302


def scans_section(page) -> str:
    return re.search(r'data-testid="scans">(.*?)</section>', page, re.S).group(1)


def next_steps(page) -> str:
    match = re.search(r'data-testid="next-steps">(.*?)</section>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def test_a_scan_of_the_version_before_a_return_is_no_longer_the_submitted_one(client, call):
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    recommender = UserFactory(organisation=unit.district)
    app = workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )
    client.force_login(owner)
    upload(client, app)
    first = printing.fingerprint(workflow.submitted_snapshot(app))
    page = client.get(app.get_absolute_url()).content.decode()
    assert f"校验码 {first} 与提交版本一致" in scans_section(page)
    assert "盖章" not in next_steps(page)  # the stamped copy is in

    workflow.transition(app, "return", user=recommender, comment="请补充服务次数")
    Application.objects.filter(pk=app.pk).update(service_count=6)
    app = workflow.transition(Application.objects.get(pk=app.pk), "submit", user=owner)
    assert app.applicant_scan == StampedScanStatus.Scan.UPLOADED  # the lists: 已上传

    page = client.get(app.get_absolute_url()).content.decode()
    section = scans_section(page)
    second = printing.fingerprint(workflow.submitted_snapshot(app))
    assert second != first
    assert "与提交版本一致" not in section
    assert f"此前提交版本的盖章件（校验码 {first}），与现提交版本 {second} 不一致" in section
    steps = next_steps(page)
    assert "请重新打印当前版本的申报表（PDF），加盖单位公章后扫描，在本页上传新的盖章件" in steps

    # The new stamped copy of the version now submitted: 一致 again, nothing more asked.
    upload(client, app)
    page = client.get(app.get_absolute_url()).content.decode()
    assert f"校验码 {second} 与提交版本一致" in scans_section(page)
    assert "盖章" not in next_steps(page)
