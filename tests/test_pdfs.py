"""Stamp-ready PDFs of 附件1 and 附件2: text read back with pdftotext, fonts with pdffonts."""

import io
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, Expert
from reviews import scoring
from reviews.documents import printing
from reviews.engine import workflow
from reviews.models import AuditRecord, RenderedPdf

from .downloads import job_file
from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)


def pdftotext(content: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def compact(text: str) -> str:
    """Text without the spaces and line breaks that layout puts inside table cells."""
    return "".join(text.split())


def pdffonts(content: bytes, tmp_path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()


@pytest.fixture
def app(call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


def get_pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_application_pdf_holds_every_box(client, app, tmp_path):
    client.force_login(UserFactory(organisation=app.unit))
    content = get_pdf(client, reverse("reviews:pdf", args=[app.pk]))
    text = compact(pdftotext(content))
    for value in [
        "附件1",
        "2026年专家服务基层示范团项目申报表",
        app.name,
        app.unit.name,
        "☑国家级",
        "☐市级",
        "☑否",
        "2026年3月1日",
        "2026年10月31日",
        "覆盖1个地市、1个区县",
        "云南省文山壮族苗族自治州广南县（国家乡村振兴重点帮扶县）",
        app.service_field,
        app.department,
        app.contact_name,
        app.office_phone,
        app.mobile,
        app.email,
        "国家乡村振兴重点帮扶县☑云南省文山州广南县",
        "技术指导☑",
        "☐义诊",
        app.service_content,
        "宁光",
        "主任医师（正高级）",
        "两院院士",
        "领衔专家",
        "项目经费预算金额：25.00万元；申请资助经费：20.00万元",
        app.summary,
        app.service_goal,
        app.professional_field,
        app.applicant_opinion,
        "申报单位意见",
        "推荐单位意见",
        "（盖章）",
        "2026年月日",
        f"编号{app.reference}",
        f"校验码{printing.fingerprint(app.snapshot())}",
        "第1页共",
    ]:
        assert compact(value) in text, value
    fonts = pdffonts(content, tmp_path)
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC" in fonts
    for line in fonts.splitlines()[2:]:
        assert line.split()[-5] == "yes", line  # every font embedded


def test_long_text_flows_onto_further_pages(client, app):
    Application.objects.filter(pk=app.pk).update(service_content="长" * 999 + "末")
    Application.objects.filter(pk=app.pk).update(service_goal="目标。" * 400)
    client.force_login(UserFactory(organisation=app.unit))
    text = pdftotext(get_pdf(client, reverse("reviews:pdf", args=[app.pk])))
    assert "末" in text
    pages = text.count("\f")
    assert pages >= 3
    assert f"共 {pages} 页" in text or f"共{pages}页" in compact(text)


def test_fingerprint_is_stable_and_changes_with_content(app):
    first = printing.fingerprint(app.snapshot())
    assert first == printing.fingerprint(app.snapshot())
    assert printing.FINGERPRINT_RE.fullmatch(first)
    app.summary += "。"
    assert printing.fingerprint(app.snapshot()) != first
    expert = app.experts.first()
    app.refresh_from_db()
    expert.specialty = "内分泌学"
    expert.save()
    assert printing.fingerprint(app.snapshot()) != first


def test_assessment_pdf_holds_every_box(client, call, tmp_path):
    item = AssessmentFactory(
        call=call, host_types=["high_tech_firm", "other"], host_type_other="医疗联合体"
    )
    unit_user = UserFactory(organisation=item.unit)
    item = workflow.transition(item, "submit", user=unit_user)
    client.force_login(unit_user)
    content = get_pdf(client, reverse("reviews:assessment_pdf", args=[item.pk]))
    text = compact(pdftotext(content))
    for value in [
        "附件2",
        "2026年专家服务基地动态管理表",
        item.base.name,
        item.unit.name,
        "☑国家级",
        item.region,
        item.industry,
        "☑高新技术企业",
        "☑其他（医疗联合体）",
        "☐高新技术开发区",
        "本单位专家：12",
        "外单位专家：5",
        item.department,
        item.contact_name,
        item.office_phone,
        item.mobile,
        item.email,
        item.address,
        item.system_building,
        item.flexible_talent,
        item.activities,
        item.funding_use,
        item.three_year_plan,
        "单位意见",
        "推荐单位意见",
        "（盖章）",
        f"编号{item.reference}",
        f"校验码{printing.fingerprint(item.snapshot())}",
    ]:
        assert compact(value) in text, value
    assert "Noto-Serif-CJK-SC" in pdffonts(content, tmp_path)


def test_pdf_is_scoped_and_audited(client, app):
    for stranger in (
        UserFactory(organisation=UnitFactory()),
        UserFactory(organisation=UnitFactory().district),
    ):
        client.force_login(stranger)
        assert client.get(reverse("reviews:pdf", args=[app.pk])).status_code == 404
    client.force_login(UserFactory(organisation=app.recommender))
    get_pdf(client, reverse("reviews:pdf", args=[app.pk]))
    assert AuditRecord.objects.filter(action="download_pdf", object_id=app.pk).count() == 1


def test_pdf_query_count_does_not_grow_with_rows(client, app):
    client.force_login(UserFactory(organisation=app.unit))
    get_pdf(client, reverse("reviews:pdf", args=[app.pk]))  # the session's first touch
    # Both measured downloads render (the stored copy of a submitted form would serve them).
    RenderedPdf.objects.all().delete()
    with CaptureQueriesContext(connection) as few:
        get_pdf(client, reverse("reviews:pdf", args=[app.pk]))
    for i in range(4):
        Expert.objects.create(
            application=app,
            name=f"专家{i}",
            work_unit="单位",
            affiliation="external",
            title="研究员",
            title_level="senior",
            specialty="x",
            mobile="13900000000",
            position=10 + i,
        )
    RenderedPdf.objects.all().delete()
    with CaptureQueriesContext(connection) as more:
        get_pdf(client, reverse("reviews:pdf", args=[app.pk]))
    assert len(few) == len(more)


def test_zip_of_the_recommenders_list_and_of_a_selection(client, call):
    call.recommender_quota = 3
    call.save()
    district = UnitFactory().district
    recommender = UserFactory(organisation=district)
    apps = []
    for name in ("甲团", "乙团"):
        unit = UnitFactory(district=district)
        app = CompleteApplicationFactory(call=call, unit=unit, name=name)
        app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
        app = workflow.transition(app, "accept", user=recommender)
        apps.append(workflow.transition(app, "recommend", user=recommender, comment="同意"))
    client.force_login(recommender)
    content, response = job_file(client, client.get(reverse("reviews:zip")))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    # The 推荐函 leads the recommender's ZIP.
    assert names == [f"00-推荐函-{district}.pdf", *(printing.filename_for(a) for a in apps)]
    assert "甲团" in compact(pdftotext(archive.read(names[1])))
    content, _ = job_file(client, client.post(reverse("reviews:zip"), {"selected": [apps[1].pk]}))
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [printing.filename_for(apps[1])]
    # Another recommender's items are not in its ZIP, even when their ids are posted.
    client.force_login(UserFactory(organisation=UnitFactory().district))
    response = client.post(reverse("reviews:zip"), {"selected": [apps[0].pk]}, follow=True)
    assert "没有可打包的项目" in response.content.decode()


def test_bureau_zip_follows_the_list_filter(client, call):
    district = UnitFactory().district
    recommender = UserFactory(organisation=district)
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name="只此一团")
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=recommender)
    workflow.transition(app, "recommend", user=recommender, comment="同意")
    client.force_login(UserFactory(organisation=BureauFactory()))
    content, _ = job_file(client, client.get(reverse("reviews:zip"), {"q": "只此"}))
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert len(archive.namelist()) == 1
    response = client.get(reverse("reviews:zip"), {"q": "没有这个"}, follow=True)
    assert "没有可打包的项目" in response.content.decode()


def test_fingerprint_ignores_what_reviewers_record_later(call):
    district = UnitFactory().district
    unit = UnitFactory(district=district)
    recommender = UserFactory(organisation=district)
    app = CompleteApplicationFactory(call=call, unit=unit)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    submitted = printing.fingerprint(workflow.submitted_snapshot(app))
    app = workflow.transition(app, "accept", user=recommender)
    app = workflow.transition(app, "recommend", user=recommender, comment="同意推荐")
    bureau = UserFactory(organisation=BureauFactory())
    scoring.record_scores(
        app, reviewer=bureau, points={c.pk: Decimal(7) for c in call.criteria.all()}
    )
    app.refresh_from_db()
    assert app.recommender_rank == 1 and app.score_count == 1
    assert printing.fingerprint(app.snapshot()) == submitted
