"""The recommender's side of the paper trail: its contact before 推荐, the 推荐函, the
bureau's record of the paper's arrival, stamped scans required per call, and the ZIP."""

import io
import subprocess
import zipfile
from importlib import import_module

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from applications.models import Application
from reviews.documents import printing
from reviews.engine import services, workflow
from reviews.models import RecommenderFiling
from shanghai_experts.items import WorkflowError

from .downloads import counted, job_file
from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pdftotext(content: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=content, capture_output=True)
    return "".join(out.stdout.decode().split())


@pytest.fixture
def district():
    return UnitFactory().district


@pytest.fixture
def officer(district):
    return UserFactory(organisation=district)


@pytest.fixture
def bureau_user():
    return UserFactory(organisation=BureauFactory())


def accepted(call, district, officer, name="甲服务团", **fields):
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name=name, **fields)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    return workflow.transition(app, "accept", user=officer)


def recommended(call, district, officer, name="甲服务团", **fields):
    app = accepted(call, district, officer, name, **fields)
    return workflow.transition(app, "recommend", user=officer, comment="同意推荐")


def upload(client, item, content, name="scan.pdf", **extra):
    url = reverse(
        "reviews:assessment_upload_scan"
        if item.workflow_kind == "assessment"
        else "reviews:upload_scan",
        args=[item.pk],
    )
    return client.post(url, {"file": SimpleUploadedFile(name, content), **extra}, follow=True)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return buffer.getvalue()


# --- the recommender's contact ----------------------------------------------------------------


def test_the_first_recommendation_needs_the_contact(client, call, district, officer):
    RecommenderFiling.objects.filter(organisation=district).delete()
    app = accepted(call, district, officer)
    with pytest.raises(WorkflowError, match="推荐报送.*联系人姓名、电话和手机"):
        workflow.transition(app, "recommend", user=officer, comment="同意")

    client.force_login(officer)
    page = client.post(
        reverse("reviews:filing"), {"contact_name": "", "office_phone": "63588888", "mobile": "1"}
    ).content.decode()
    assert "联系人姓名：这个字段是必填项。" in page
    assert "电话：办公电话应带区号" in page and "手机：手机号码应为 11 位数字" in page
    client.post(
        reverse("reviews:filing"),
        {"contact_name": "赵敏", "office_phone": "021-63588888", "mobile": "13912345678"},
    )
    app = workflow.transition(app, "recommend", user=officer, comment="同意")
    assert app.state == "recommended"


def test_the_bureau_sees_each_recommenders_contact(client, call, district, officer, bureau_user):
    recommended(call, district, officer)
    RecommenderFiling.objects.filter(organisation=district).update(contact_name="赵敏")
    client.force_login(bureau_user)
    page = client.get(reverse("reviews:paper")).content.decode()
    assert "赵敏" in page and "021-63588888" in page and "13812345678" in page


# --- 推荐函 -----------------------------------------------------------------------------------


def test_the_letter_lists_the_recommendations_in_rank_order(client, call, district, officer):

    call.recommender_quota = 3
    call.save()
    first = recommended(call, district, officer, name="甲服务团")
    second = recommended(
        call, district, officer, name="乙服务团", category="municipal", requested_amount=10
    )
    services.set_ranking(call=call, user=officer, ordered_pks=[second.pk, first.pk])
    base = BaseFactory(host_unit=UnitFactory(district=district), name="某某专家服务基地")
    item = AssessmentFactory(call=call, base=base)
    item = workflow.transition(item, "submit", user=UserFactory(organisation=base.host_unit))
    item = workflow.transition(item, "accept", user=officer)
    workflow.transition(item, "recommend", user=officer, comment="同意")
    RecommenderFiling.objects.filter(organisation=district).update(contact_name="赵敏")

    client.force_login(officer)
    response = client.get(reverse("reviews:letter"))
    assert response["Content-Type"] == "application/pdf"
    text = pdftotext(response.content)
    order = [
        "关于推荐2026年专家服务基层项目的函",
        "上海市人力资源和社会保障局：",
        call.document_number,
        "一、推荐的专家服务团（按推荐顺序）",
        f"1{second.reference}乙服务团{second.unit.name}市级",
        f"2{first.reference}甲服务团{first.unit.name}国家级",
        "二、专家服务基地评估",
        f"1{item.reference}某某专家服务基地{base.host_unit.name}",
        "联系人：赵敏",
        "电话：021-63588888",
        "手机：13812345678",
        district.name,
        "（盖章）",
        "2026年月日",  # the date is left blank, for the seal
    ]
    position = 0
    for piece in order:
        found = text.find(piece, position)
        assert found >= 0, (piece, text[position : position + 200])
        position = found + len(piece)


def test_who_may_print_a_letter(client, call, district, officer, bureau_user):
    other = UnitFactory().district
    client.force_login(officer)
    own = client.get(reverse("reviews:letter"), {"recommender": other.pk})
    assert district.name in pdftotext(own.content)  # a recommender only ever gets its own
    client.force_login(bureau_user)
    chosen = client.get(reverse("reviews:letter"), {"recommender": other.pk})
    assert other.name in pdftotext(chosen.content)
    assert client.get(reverse("reviews:letter"), {"recommender": "x"}).status_code == 404
    assert client.get(reverse("reviews:letter")).status_code == 404
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert client.get(reverse("reviews:letter")).status_code == 404


# --- paper receipt ----------------------------------------------------------------------------


def test_the_bureau_records_the_paper_and_filters_on_it(
    client, call, district, officer, bureau_user
):
    arrived = recommended(call, district, officer, name="甲服务团")
    other_district = UnitFactory().district
    other_officer = UserFactory(organisation=other_district)
    waiting = recommended(call, other_district, other_officer, name="乙服务团")

    client.force_login(bureau_user)
    today = timezone.localdate()
    # Confirmed on a page of its own (tests/test_confirmations.py): the second POST.
    seen = f"application-{arrived.pk}"
    client.post(
        reverse("reviews:paper"),
        {"recommender": district.pk, "received_on": today, "confirmed": "1", "seen": seen},
    )
    arrived.refresh_from_db()
    waiting.refresh_from_db()
    assert arrived.paper_received_on == today and arrived.paper_received_by == bureau_user
    assert waiting.paper_received_on is None
    received = client.get(reverse("reviews:queue"), {"paper": "received"}).content.decode()
    missing = client.get(reverse("reviews:queue"), {"paper": "missing"}).content.decode()
    assert "甲服务团" in received and "乙服务团" not in received
    assert "乙服务团" in missing and "甲服务团" not in missing

    # One item on its own page; a future date is refused.
    client.post(reverse("reviews:item_paper", args=[waiting.pk]), {"received_on": "2099-01-01"})
    waiting.refresh_from_db()
    assert waiting.paper_received_on is None
    client.post(
        reverse("reviews:item_paper", args=[waiting.pk]),
        {"received_on": today, "confirmed": "1", "seen": ""},
    )
    waiting.refresh_from_db()
    assert waiting.paper_received_on == today

    # The recommender sees that its paper arrived.
    client.force_login(officer)
    status = client.get(reverse("reviews:filing")).content.decode()
    assert "已收到" in status and today.strftime("%Y年") in status
    client.force_login(other_officer)
    assert "已收到" in client.get(reverse("reviews:filing")).content.decode()


def test_only_the_bureau_records_paper(client, call, district, officer):
    app = recommended(call, district, officer)
    client.force_login(officer)
    assert client.get(reverse("reviews:paper")).status_code == 404
    response = client.post(reverse("reviews:item_paper", args=[app.pk]), {"received_on": ""})
    assert response.status_code == 404
    app.refresh_from_db()
    assert app.paper_received_on is None
    client.force_login(UserFactory(organisation=app.unit))
    assert client.get(reverse("reviews:filing")).status_code == 404


# --- stamped scans required -------------------------------------------------------------------


def test_a_call_can_require_the_stamped_scans(client, call, district, officer, bureau_user):
    call.require_stamped_scan = True
    call.save()
    app = accepted(call, district, officer)
    app.call = call
    with pytest.raises(WorkflowError, match="须先由申报单位上传盖章扫描件"):
        workflow.transition(app, "recommend", user=officer, comment="同意")

    client.force_login(UserFactory(organisation=app.unit))
    other = CompleteApplicationFactory(call=call, unit=UnitFactory(), name="别的服务团")
    upload(client, app, printing.form_pdf(other))  # a scan of another version
    with pytest.raises(WorkflowError, match="与提交版本不一致"):
        workflow.transition(app, "recommend", user=officer, comment="同意")
    upload(client, app, printing.form_pdf(app))
    app = workflow.transition(app, "recommend", user=officer, comment="同意")

    with pytest.raises(WorkflowError, match="须先由推荐单位上传盖章意见扫描件"):
        workflow.transition(app, "select_municipal", user=bureau_user)
    client.force_login(officer)
    upload(client, app, png(), name="意见.png")
    app = workflow.transition(app, "select_municipal", user=bureau_user)
    assert app.state == "municipal_team"


def test_without_the_setting_no_scan_is_asked(call, district, officer, bureau_user):
    app = recommended(call, district, officer)
    assert workflow.transition(app, "select_municipal", user=bureau_user).state == (
        "municipal_team"
    )


# --- the ZIP and the list ---------------------------------------------------------------------


def test_the_zip_holds_each_items_latest_scans_by_reference(
    client, call, district, officer, bureau_user
):
    app = recommended(call, district, officer)
    client.force_login(UserFactory(organisation=app.unit))
    upload(client, app, png(), name="old.png")
    upload(client, app, printing.form_pdf(app), name="盖章件.pdf")
    client.force_login(officer)
    upload(client, app, png(), name="意见.png")

    client.force_login(bureau_user)
    content, _ = job_file(client, client.get(reverse("reviews:zip"), {"recommender": district.pk}))
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [
        f"00-推荐函-{district}.pdf",
        printing.filename_for(app),
        f"{app.reference}-申报单位盖章扫描件.pdf",
        f"{app.reference}-推荐单位盖章意见扫描件.png",
    ]
    assert archive.read(f"{app.reference}-申报单位盖章扫描件.pdf").startswith(b"%PDF")


def test_the_bureau_list_shows_each_items_scan_state(client, call, district, officer, bureau_user):
    call.recommender_quota = 3
    call.save()
    none = recommended(call, district, officer, name="无扫描件团")
    uploaded = recommended(call, district, officer, name="未核对团")
    matching = recommended(call, district, officer, name="一致团")
    client.force_login(UserFactory(organisation=uploaded.unit))
    upload(client, uploaded, png())
    client.force_login(UserFactory(organisation=matching.unit))
    upload(client, matching, printing.form_pdf(matching))
    client.force_login(bureau_user)
    page = client.get(reverse("reviews:queue")).content.decode()
    rows = {
        name: next(row for row in page.split("<tr>") if f">{name}</a>" in row)
        for name in ("无扫描件团", "未核对团", "一致团")
    }
    assert ">无<" in rows["无扫描件团"]
    assert "已上传" in rows["未核对团"]
    assert ">一致<" in rows["一致团"]
    assert none.pk and "书面材料" in page


def test_the_latest_applicant_scan_decides_the_lists_scan_column(
    client, call, district, officer, bureau_user
):
    """The column is kept on the item at upload: a later scan that is not the submitted
    version's takes 一致 back to 已上传, and the recommender's own scan leaves it alone."""
    app = recommended(call, district, officer, name="换扫描件团")
    client.force_login(UserFactory(organisation=app.unit))
    upload(client, app, printing.form_pdf(app))
    app.refresh_from_db()
    assert app.applicant_scan == app.Scan.MATCHING
    client.force_login(officer)
    upload(client, app, png(), name="意见.png")
    app.refresh_from_db()
    assert app.applicant_scan == app.Scan.MATCHING
    client.force_login(UserFactory(organisation=app.unit))
    upload(client, app, png(), name="重拍.png")

    client.force_login(bureau_user)
    page = client.get(reverse("reviews:queue")).content.decode()
    row = next(row for row in page.split("<tr>") if ">换扫描件团</a>" in row)
    assert "已上传" in row and ">一致<" not in row


def test_the_migration_grades_items_from_the_scans_already_uploaded(
    client, call, district, officer
):
    """Items whose scans were uploaded before the column existed take their latest scan's
    grade (reviews migration 0019); items without a scan stay at 无."""
    matching = recommended(call, district, officer, name="旧一致团")
    bare = accepted(call, district, officer, name="旧无扫描件团")
    client.force_login(UserFactory(organisation=matching.unit))
    upload(client, matching, printing.form_pdf(matching))
    Application.objects.update(applicant_scan=0)  # as the column was added: every item at 无

    import_module("reviews.migrations.0019_applicant_scan_backfill").grade_latest_scans(apps, None)
    grades = dict(Application.objects.values_list("name", "applicant_scan"))
    assert grades == {matching.name: 2, bare.name: 0}


def test_zip_queries_do_not_grow_with_items_and_scans(client, call, district, officer, bureau_user):

    call.recommender_quota = 20
    call.save()

    def zip_queries():
        client.force_login(bureau_user)
        with CaptureQueriesContext(connection) as queries:
            job_file(client, client.get(reverse("reviews:zip"), {"recommender": district.pk}))
        return counted(queries)

    def add(n, start):
        for i in range(start, start + n):
            app = recommended(call, district, officer, name=f"第{i}团")
            client.force_login(UserFactory(organisation=app.unit))
            upload(client, app, png())

    add(2, 0)
    zip_queries()  # the stored PDFs are rendered once
    few = zip_queries()
    add(6, 2)
    zip_queries()
    assert zip_queries() == few


def test_the_queue_says_when_the_contact_is_missing(client, call, district, officer):
    client.force_login(officer)
    assert (
        'data-testid="needs-contact"' not in client.get(reverse("reviews:queue")).content.decode()
    )
    RecommenderFiling.objects.filter(organisation=district).update(mobile="")
    page = client.get(reverse("reviews:queue")).content.decode()
    assert 'data-testid="needs-contact"' in page and reverse("reviews:filing") in page


def test_a_resubmission_decides_again_whether_the_scan_is_of_it(
    client, call, district, officer, bureau_user
):
    """After 退回修改, resubmitting the same form keeps 一致; changing it leaves the old scan
    已上传 until the new version's stamped scan is uploaded."""
    app = accepted(call, district, officer, name="重报团")
    unit_user = UserFactory(organisation=app.unit)
    client.force_login(unit_user)
    upload(client, app, printing.form_pdf(app))

    def grade():
        return Application.objects.get(pk=app.pk).applicant_scan

    assert grade() == Application.Scan.MATCHING
    app = workflow.transition(app, "return", user=officer, comment="请核对")
    app = workflow.transition(app, "submit", user=unit_user)
    assert grade() == Application.Scan.MATCHING  # the same content: the stamped form stands
    app = workflow.transition(app, "return", user=officer, comment="请补充")
    Application.objects.filter(pk=app.pk).update(service_goal="补充后的服务目标")
    app = workflow.transition(Application.objects.get(pk=app.pk), "submit", user=unit_user)
    assert grade() == Application.Scan.UPLOADED
    client.force_login(bureau_user)
    page = client.get(reverse("reviews:queue")).content.decode()
    row = next(r for r in page.split("<tr>") if ">重报团</a>" in r)
    assert "已上传" in row and ">一致<" not in row
    client.force_login(unit_user)
    upload(client, app, printing.form_pdf(Application.objects.get(pk=app.pk)))
    assert grade() == Application.Scan.MATCHING
