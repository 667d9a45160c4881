"""The admin's pages that answered 500 to an administrator's slip or a hostile address, one by
one (the URL walk crawls the whole admin; these say what the administrator sees instead)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.plugins.otp_totp.models import TOTPDevice

from reviews.documents import printing, scans
from reviews.engine import workflow
from reviews.models import StampedScan

from .factories import (
    AssessmentFactory,
    BaseFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.raise_request_exception = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_scans_page_links_to_the_checked_download(admin_client, call):
    owner = UserFactory(organisation=UnitFactory())
    item = workflow.transition(
        CompleteApplicationFactory(call=call, unit=owner.organisation), "submit", user=owner
    )
    upload = SimpleUploadedFile("盖章件.pdf", printing.form_pdf(item))
    upload.media_type = "application/pdf"
    scans.store(item, user=owner, upload=upload)
    scan = StampedScan.objects.get()
    response = admin_client.get(f"/admin/reviews/stampedscan/{scan.pk}/change/")
    assert response.status_code == 200
    assert f'href="/reviews/scans/{scan.pk}/"' in response.content.decode()
    assert "下载 盖章件.pdf" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/shanghai_experts/organisation/add/", "district"),
        ("/admin/shanghai_experts/user/add/", "organisation"),
        ("/admin/bases/base/add/", "host_unit"),
    ],
)
@pytest.mark.parametrize("value", ["zz", "1e30", "１２x"])
def test_a_foreign_key_that_is_no_number_is_a_form_error(admin_client, url, field, value):
    response = admin_client.post(url, {"name": "上海测试单位", field: value})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()


def test_an_assessments_recommender_that_is_no_number_is_a_form_error(admin_client, call):

    assessment = AssessmentFactory(call=call, base=BaseFactory())
    response = admin_client.post(
        f"/admin/bases/assessment/{assessment.pk}/change/", {"recommender": "zz"}
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"q": "a\x00b"},
        {"kind__exact": "a\x00b"},
        {"o": "\x00"},
        {"a\x00b": "1"},
    ],
)
def test_a_nul_character_in_a_list_filter_is_a_bad_request(admin_client, query):
    response = admin_client.get("/admin/shanghai_experts/organisation/", query)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_normal_list_filter_still_works(admin_client):
    UnitFactory(name="上海市某某医院")
    response = admin_client.get("/admin/shanghai_experts/organisation/", {"q": "某某"})
    assert response.status_code == 200 and "上海市某某医院" in response.content.decode()


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_an_unknown_totp_device_is_not_found(admin_client, view):
    device = TOTPDevice.objects.create(user=UserFactory(), name="app", confirmed=True)
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{view}/").status_code == 200
    response = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk + 1000}/{view}/")
    assert response.status_code == 404


def test_an_empty_to_field_is_ignored(admin_client):
    unit = UnitFactory(name="上海市某某医院")
    response = admin_client.get(
        f"/admin/shanghai_experts/organisation/{unit.pk}/change/", {"_to_field": ""}
    )
    assert response.status_code == 200 and "上海市某某医院" in response.content.decode()
