"""Three loose ends: the stamped-scan card after a result, the unit's home page reading its
deadline once, and the 登录锁定 audit naming the lock that applied."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.choices import Category
from reviews import publication
from reviews.documents import printing
from reviews.engine import services, workflow
from reviews.models import AuditRecord, Publication, StampedScan

from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

SELECTION, NATIONAL = Publication.Stage.SELECTION, Publication.Stage.NATIONAL


# --- 1. the stamped scans are accepted only while they are asked for ------------------------


@pytest.fixture
def people(db):
    unit = UnitFactory()
    return {
        "unit": UserFactory(organisation=unit),
        "recommender": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory()),
    }


def recommended(call, people, **fields):
    fields.setdefault("name", "瑞金医院内分泌专家服务团")
    app = CompleteApplicationFactory(call=call, unit=people["unit"].organisation, **fields)
    app = workflow.transition(app, "submit", user=people["unit"])
    app = workflow.transition(app, "accept", user=people["recommender"])
    return workflow.transition(app, "recommend", user=people["recommender"], comment="同意推荐")


def scans_card(client, user, item) -> str:
    client.force_login(user)
    page = client.get(item.get_absolute_url()).content.decode()
    return re.search(r'data-testid="scans">(.*?)</section>', page, re.S).group(1)


def has_upload_box(card: str) -> bool:
    return 'type="file" name="file"' in card


def post_scan(client, user, item) -> str:
    """The printed PDF of the submitted version as a stamped scan, as the card posts it."""
    client.force_login(user)
    name = "assessment_upload_scan" if item.workflow_kind == "assessment" else "upload_scan"
    response = client.post(
        reverse(f"reviews:{name}", args=[item.pk]),
        {"file": SimpleUploadedFile("盖章件.pdf", printing.form_pdf(item))},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def assert_refused(client, user, item, closed: str):
    """No upload box on the card, which says why, and the POST stores nothing."""
    card = scans_card(client, user, item)
    assert not has_upload_box(card)
    assert closed in card
    before = StampedScan.objects.count()
    page = post_scan(client, user, item)
    assert f"未上传：{closed}" in page
    assert StampedScan.objects.count() == before


def assert_accepted(client, user, item):
    assert has_upload_box(scans_card(client, user, item))
    before = StampedScan.objects.count()
    page = post_scan(client, user, item)
    assert "已上传" in page and "未上传" not in page
    assert StampedScan.objects.count() == before + 1


def test_a_published_selection_closes_the_scans_of_unit_and_recommender(client, call, people):
    app = recommended(call, people)
    assert_accepted(client, people["unit"], app)
    assert_accepted(client, people["recommender"], app)
    app = workflow.transition(app, "select_municipal", user=people["bureau"])
    # Not announced: both still read 已推荐至市人社局, and the card tells nothing new.
    assert_accepted(client, people["unit"], app)
    assert_accepted(client, people["recommender"], app)
    publication.publish(call=call, stage=SELECTION, user=people["bureau"])
    app.refresh_from_db()
    closed = "本项目已是“列入市级服务团”，不再需要盖章扫描件，不能再上传。"
    assert_refused(client, people["unit"], app, closed)
    assert_refused(client, people["recommender"], app, closed)


def test_a_published_decline_closes_them(client, call, people):
    app = recommended(call, people)
    workflow.transition(app, "decline", user=people["bureau"], comment="服务计划不具体")
    publication.publish(call=call, stage=SELECTION, user=people["bureau"])
    app.refresh_from_db()
    closed = "本项目已是“未入选”，不再需要盖章扫描件，不能再上传。"
    assert_refused(client, people["unit"], app, closed)
    assert_refused(client, people["recommender"], app, closed)


def test_the_ministrys_result_closes_them(client, call, people):
    bureau = people["bureau"]
    app = recommended(call, people, category=Category.NATIONAL, requested_amount=Decimal("10"))
    app = workflow.transition(app, "select_national", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    today = timezone.localdate()
    params = {"document_number": f"人社厅函〔{today.year}〕58号", "approved_on": today}
    workflow.transition(app, "mohrss_approve", user=bureau, params=params)
    publication.publish(call=call, stage=NATIONAL, user=bureau)
    app.refresh_from_db()
    closed = "本项目已是“列入国家级服务团”，不再需要盖章扫描件，不能再上传。"
    assert_refused(client, people["unit"], app, closed)
    assert_refused(client, people["recommender"], app, closed)


def test_not_recommended_closes_the_units_scan(client, call, people):
    app = CompleteApplicationFactory(call=call, unit=people["unit"].organisation)
    app = workflow.transition(app, "submit", user=people["unit"])
    app = workflow.transition(app, "accept", user=people["recommender"])
    app = workflow.transition(
        app, "not_recommend", user=people["recommender"], comment="服务对象不明确"
    )
    assert_refused(
        client, people["unit"], app, "本项目已是“未获推荐”，不再需要盖章扫描件，不能再上传。"
    )


def test_a_returned_item_asks_for_the_new_version_first(client, call, people):
    app = CompleteApplicationFactory(call=call, unit=people["unit"].organisation)
    app = workflow.transition(app, "submit", user=people["unit"])
    assert_accepted(client, people["unit"], app)
    app = workflow.transition(app, "return", user=people["recommender"], comment="请补充")
    assert_refused(
        client,
        people["unit"],
        app,
        "已退回修改：请修改后重新提交，再打印新提交的版本盖章并上传扫描件。",
    )


def test_a_base_outcome_closes_the_assessments_scans(client, call, people):
    item = AssessmentFactory(call=call)
    unit = UserFactory(organisation=item.unit)
    recommender = UserFactory(organisation=item.recommender)
    item = workflow.transition(item, "submit", user=unit)
    item = workflow.transition(item, "accept", user=recommender)
    item = workflow.transition(item, "recommend", user=recommender, comment="同意")
    assert_accepted(client, unit, item)
    assert_accepted(client, recommender, item)
    item = workflow.transition(item, "commend", user=people["bureau"])
    closed = "本项目已是“通报表扬”，不再需要盖章扫描件，不能再上传。"
    assert_refused(client, unit, item, closed)
    assert_refused(client, recommender, item, closed)


# --- 2. the unit's home page reads its deadline once, whatever its items -----------------------


def test_the_units_home_page_costs_the_same_for_one_item_or_three(client, call, people):
    """The unit's own deadline (here extended by the bureau) comes with the call: no query of
    the extensions of its own, and no query more for each item listed."""
    call.applications_per_unit = 3
    call.save()
    unit, recommender = people["unit"], people["recommender"]
    later = call.unit_deadline + timezone.timedelta(days=3)
    services.grant_extension(
        call=call,
        organisation=unit.organisation,
        deadline=later,
        reason="材料补正",
        user=people["bureau"],
    )

    def home():
        client.force_login(unit)
        client.get(reverse("home"))  # sessions, content types: what any first visit costs
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("home")).content.decode()
        own = re.search(r'data-testid="own-deadline">([^<]*)', page).group(1).strip()
        alone = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('SELECT "shanghai_experts_deadlineextension"')
        ]
        return len(queries), page.count("<tr>") - 1, own, alone

    submitted = CompleteApplicationFactory(call=call, unit=unit.organisation)
    workflow.transition(submitted, "submit", user=unit)
    one = home()
    returned = CompleteApplicationFactory(call=call, unit=unit.organisation, name="第二个服务团")
    returned = workflow.transition(returned, "submit", user=unit)
    workflow.transition(returned, "return", user=recommender, comment="请补充")
    CompleteApplicationFactory(call=call, unit=unit.organisation, name="第三个服务团")
    three = home()
    assert (one[1], three[1]) == (1, 3)
    assert one[2] == three[2] == f"{timezone.localtime(later):%Y年%-m月%-d日 %H:%M}"
    assert one[3] == three[3] == []
    assert one[0] == three[0]


# --- 3. the 登录锁定 audit says which lock applied --------------------------------------------


def attempt(client, username, password, ip):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def lock_comments() -> list[str]:
    return list(
        AuditRecord.objects.filter(action="locked_out")
        .order_by("id")
        .values_list("comment", flat=True)
    )


@pytest.mark.django_db
def test_the_audit_names_the_pair_lock(client):
    UserFactory(username="ruijin")
    for _ in range(5):
        attempt(client, "ruijin", "wrong", "10.1.2.3")
    assert lock_comments() == [
        "锁定登录名 + 来源地址：登录名 ruijin 从来源地址 10.1.2.3 登录失败 5 次，"
        "该登录名在此地址锁定 30 分钟（其他地址、其他登录名不受影响）"
    ]


@pytest.mark.django_db
def test_the_audit_names_the_address_lock(client):
    """Password spraying: one wrong guess at each of ten names from one address."""
    for n in range(10):
        attempt(client, f"staff{n}", "wrong", "10.1.2.3")
    assert lock_comments() == [
        "锁定来源地址：来源地址 10.1.2.3 登录失败累计 10 次（不论登录名），"
        "此地址的所有登录名锁定 30 分钟"
    ]
    assert AuditRecord.objects.get(action="locked_out").username == "staff9"


@pytest.mark.django_db
def test_the_audit_names_the_name_lock(client):
    """Four wrong passwords for one name from each of five addresses: no pair or address
    reaches its limit, the name does at 20."""
    UserFactory(username="ruijin")
    for n in range(5):
        for _ in range(4):
            attempt(client, "ruijin", "wrong", f"10.0.{n}.1")
    assert lock_comments() == [
        "锁定登录名：登录名 ruijin 在各来源地址登录失败累计 20 次，该登录名在所有地址锁定 "
        "30 分钟（已绑定动态验证码的本人凭正确密码和验证码仍可登录）"
    ]
    # A refused attempt from yet another address is audited under the same lock.
    attempt(client, "ruijin", "wrong", "10.9.9.9")
    assert lock_comments()[-1].startswith("锁定登录名：登录名 ruijin 在各来源地址")


# --- 4. the rectification report's save tells the browser its copy is saved -------------------


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_saved_rectification_report_is_not_offered_back_as_unsaved(client, call, action):
    """As on 附件1 and 附件2: once the report is saved, the copy the browser kept of it (named by
    the form's kept_copy token) is confirmed saved, so the page does not show a false 未保存 banner
    for a value the server normalised (a trailing space stripped)."""
    item = AssessmentFactory(call=call, state="rectifying", rectification_report="")
    client.force_login(UserFactory(organisation=item.unit))
    response = client.post(
        reverse("bases:rectification", args=[item.pk]),
        {
            "rectification_report": "已修订管理办法。  ",
            "version": item.version,
            "action": action,
            "kept_copy": "a1b2c3d4e5",
        },
    )
    assert response.status_code == 302
    assert response.cookies["kept_copy_saved"].value == "a1b2c3d4e5"
    item.refresh_from_db()
    assert item.rectification_report == "已修订管理办法。"


def test_a_refused_rectification_report_keeps_its_copy(client, call):
    item = AssessmentFactory(call=call, state="rectifying", rectification_report="")
    client.force_login(UserFactory(organisation=item.unit))
    response = client.post(
        reverse("bases:rectification", args=[item.pk]),
        {
            "rectification_report": "已修订管理办法。",
            "version": item.version - 1,
            "action": "save",
            "kept_copy": "a1b2c3d4e5",
        },
    )
    assert "kept_copy_saved" not in response.cookies
    assert "整改报告已被他人修改" in response.content.decode()
