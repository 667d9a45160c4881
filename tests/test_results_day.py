"""The day results come out: what the unit reads at the top of its pages, its next step, and
the 立项通知 a selected team prints and stamps (read back from the PDF's text layer).

Nothing of the bureau's decision reaches the unit or its recommender before 公布结果
(shanghai_experts.visibility); afterwards each outcome has a banner with its reason and date.
"""

import re
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.choices import Category
from bases.models import Assessment
from reviews import publication, reviewers
from reviews.engine import services, workflow
from reviews.models import Publication
from shanghai_experts.models import Organisation

from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

SELECTION, NATIONAL = Publication.Stage.SELECTION, Publication.Stage.NATIONAL


@pytest.fixture
def people(db):
    unit = UnitFactory()
    return {
        "unit": UserFactory(organisation=unit),
        "recommender": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory()),
        "stranger": UserFactory(organisation=UnitFactory()),
    }


def recommended(call, people, **fields):
    unit = people["unit"].organisation
    fields.setdefault("name", "瑞金医院内分泌专家服务团")
    if fields.get("category") == Category.MUNICIPAL:
        fields.setdefault("requested_amount", Decimal("10"))
    app = CompleteApplicationFactory(call=call, unit=unit, **fields)
    app = workflow.transition(app, "submit", user=people["unit"])
    app = workflow.transition(app, "accept", user=people["recommender"])
    return workflow.transition(app, "recommend", user=people["recommender"], comment="同意推荐")


def approve(app, bureau):
    today = timezone.localdate()
    params = {"document_number": f"人社厅函〔{today.year}〕58号", "approved_on": today}
    return workflow.transition(app, "mohrss_approve", user=bureau, params=params)


def page_of(client, user, item):
    client.force_login(user)
    response = client.get(item.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def banner(page) -> str | None:
    """The text of the result banner, tags stripped, or None when there is none."""
    match = re.search(
        r'<section class="alert[^"]*" role="status" data-testid="result">(.*?)</section>',
        page,
        re.S,
    )
    if match is None:
        return None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def next_steps(page) -> str:
    match = re.search(r'data-testid="next-steps">(.*?)</section>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def local_date_of_latest_publication() -> str:
    published_at = timezone.localtime(Publication.objects.latest("id").published_at)
    return f"{published_at.year}年{published_at.month}月{published_at.day}日"


# --- 附件1 outcomes -------------------------------------------------------------------------


def test_a_municipal_team_hears_nothing_before_publication_then_gets_its_notice(
    client, call, people
):
    app = recommended(call, people, category=Category.MUNICIPAL)
    bureau = people["bureau"]
    workflow.transition(app, "select_municipal", user=bureau)
    services.record_funding(app, user=bureau, granted=Decimal("8"), support=None)
    notice_url = reverse("reviews:project_notice", args=[app.pk])
    for who in ("unit", "recommender"):
        page = page_of(client, people[who], app)
        assert banner(page) is None
        assert "列入" not in page and "资助经费 8" not in page
        assert client.get(notice_url).status_code == 404
    publication.publish(call=call, stage=SELECTION, user=bureau)
    day = local_date_of_latest_publication()
    page = page_of(client, people["unit"], app)
    text = banner(page)
    assert text.startswith("列入2026年市级专家服务团 公布日期：" + day)
    assert "资助经费 8.00 万元" in text
    steps = next_steps(page)
    assert "累计服务时长不少于5天，每次应解决1-2个具体问题" in steps
    assert "加盖单位公章" not in steps  # not told to print and stamp the form any more
    # The recommender reads the same result; another unit cannot open the item or its notice.
    assert banner(page_of(client, people["recommender"], app)) == text
    client.force_login(people["stranger"])
    assert client.get(app.get_absolute_url()).status_code == 404
    assert client.get(notice_url).status_code == 404


def test_the_notice_pdf_of_a_team_upgraded_to_national(client, call, people):
    """Declared 市级, recommended 国家级 by the bureau, approved by 人社部: the notice, the
    banner and the next step all say 国家级."""
    app = recommended(call, people, category=Category.MUNICIPAL, service_count=4)
    bureau = people["bureau"]
    app = workflow.transition(app, "select_national", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    page = page_of(client, people["unit"], app)
    assert banner(page).startswith("拟推荐国家级：已由市人社局推荐至人力资源社会保障部")
    assert 'data-testid="project-notice"' not in page
    assert "等待人力资源社会保障部遴选结果" in next_steps(page)
    assert client.get(reverse("reviews:project_notice", args=[app.pk])).status_code == 404

    app = approve(app, bureau)
    services.record_funding(app, user=bureau, granted=Decimal("20"), support=Decimal("5"))
    # Approved but not yet announced: the unit still reads the stage-1 result.
    assert banner(page_of(client, people["unit"], app)).startswith("拟推荐国家级")
    publication.publish(call=call, stage=NATIONAL, user=bureau)
    page = page_of(client, people["unit"], app)
    text = banner(page)
    assert text.startswith("列入2026年国家级专家服务团 公布日期：")
    assert "人力资源社会保障部批准" in text and "资助经费 20.00 万元；配套支持 5.00 万元" in text
    assert 'data-testid="project-notice"' in page

    response = client.get(reverse("reviews:project_notice", args=[app.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = pdf_text(response.content)
    flat = re.sub(r"\s+", "", pdf)
    assert re.sub(r"\s+", "", pdf.splitlines()[0]) == "上海市人力资源和社会保障局"  # the issuer
    assert f"关于“{app.name}”列入2026年国家级专家服务团的通知" in flat
    # The title breaks after the team's name, never inside 通知.
    lines = [re.sub(r"\s+", "", line) for line in pdf.splitlines()]
    assert "列入2026年国家级专家服务团的通知" in lines
    assert f"{app.unit.name}：" in flat
    assert "类别国家级专家服务团" in flat
    assert "资助经费20.00万元配套支持5.00万元" in flat
    assert "服务团累计服务时长不少于5天，每次应解决1-2个具体问题。" in flat
    assert "期间组织专家开展服务不少于4次" in flat
    assert "2026年3月1日至2026年10月31日" in flat
    assert "（盖章）" in flat and "2026年月日" in flat  # room for the seal and the date in ink
    assert f"编号{app.reference}" in flat


def test_a_declined_item_reads_its_reason_once_published(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    workflow.transition(app, "decline", user=bureau, comment="服务计划与基层需求对接不够具体")
    assert banner(page_of(client, people["unit"], app)) is None
    publication.publish(call=call, stage=SELECTION, user=bureau)
    text = banner(page_of(client, people["unit"], app))
    assert text.startswith("不予入选 公布日期：")
    assert "理由： 服务计划与基层需求对接不够具体" in text


def test_the_ministrys_decline_reads_its_reason(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    app = workflow.transition(app, "select_national", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    workflow.transition(app, "mohrss_decline", user=bureau, comment="名额有限")
    publication.publish(call=call, stage=NATIONAL, user=bureau)
    text = banner(page_of(client, people["unit"], app))
    assert text.startswith("人力资源社会保障部未批准，未列入专家服务团")
    assert "理由： 名额有限" in text


def test_a_team_the_ministry_moved_to_municipal(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    app = workflow.transition(app, "select_national", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    workflow.transition(app, "mohrss_to_municipal", user=bureau)
    publication.publish(call=call, stage=NATIONAL, user=bureau)
    page = page_of(client, people["unit"], app)
    text = banner(page)
    assert text.startswith("列入2026年市级专家服务团")
    assert "人力资源社会保障部未批准，转列入市级专家服务团" in text
    pdf = re.sub(
        r"\s+", "", pdf_text(client.get(reverse("reviews:project_notice", args=[app.pk])).content)
    )
    assert "列入2026年市级专家服务团的通知" in pdf and "资助经费另行通知" in pdf


def test_not_recommended_reads_the_recommenders_reason_at_the_top(client, call, people):
    unit = people["unit"].organisation
    app = CompleteApplicationFactory(call=call, unit=unit)
    app = workflow.transition(app, "submit", user=people["unit"])
    app = workflow.transition(app, "accept", user=people["recommender"])
    workflow.transition(
        app, "not_recommend", user=people["recommender"], comment="本区名额已用于更成熟的项目"
    )
    page = page_of(client, people["unit"], app)
    text = banner(page)
    assert text.startswith(f"{unit.district}不予推荐 决定日期：")
    assert "理由： 本区名额已用于更成熟的项目" in text
    assert page.index('data-testid="result"') < page.index("一、基本信息")
    assert "本批次未获推荐" in next_steps(page)


def test_a_revoked_published_result_says_so_with_its_reason(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    app = workflow.transition(app, "select_municipal", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    app = workflow.transition(
        app, "revoke_decision", user=bureau, comment="材料核查发现服务地点有误"
    )
    page = page_of(client, people["unit"], app)
    text = banner(page)
    assert text.startswith("市人社局已撤销此前公布的评审结果 撤销日期：")
    assert "理由： 材料核查发现服务地点有误" in text
    assert "重新评审中" in next_steps(page)
    # Decided again and revoked again, unannounced: the unit still reads the revocation of
    # what it was told, never the bureau's reason for revoking its own unannounced decision.
    app = workflow.transition(app, "select_municipal", user=bureau)
    app = workflow.transition(app, "revoke_decision", user=bureau, comment="内部复核")
    page = page_of(client, people["unit"], app)
    assert "材料核查发现服务地点有误" in banner(page) and "内部复核" not in page
    app = workflow.transition(app, "decline", user=bureau, comment="服务地点不在帮扶范围")
    assert banner(page_of(client, people["unit"], app)).startswith("市人社局已撤销")
    publication.publish(call=call, stage=SELECTION, user=bureau)
    assert banner(page_of(client, people["unit"], app)).startswith("不予入选")


def test_a_revoked_decision_never_published_leaves_no_trace(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    app = workflow.transition(app, "select_municipal", user=bureau)
    workflow.transition(app, "revoke_decision", user=bureau, comment="重新评审")
    assert banner(page_of(client, people["unit"], app)) is None


def test_the_units_home_page_lists_its_results(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    workflow.transition(app, "select_municipal", user=bureau)
    client.force_login(people["unit"])
    assert 'data-testid="home-result"' not in client.get(reverse("home")).content.decode()
    publication.publish(call=call, stage=SELECTION, user=bureau)
    page = client.get(reverse("home")).content.decode()
    line = re.search(r'data-testid="home-result">(.*?)</section>', page, re.S).group(1)
    assert f"「{app.name}」（{app.reference}）：列入2026年市级专家服务团" in line
    assert reverse("reviews:project_notice", args=[app.pk]) in line


def test_a_reviewer_sees_no_result(client, call, people):
    app = recommended(call, people)
    bureau = people["bureau"]
    panel = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="评审专家组")
    expert = UserFactory(organisation=panel)
    reviewers.assign([app], [expert], user=bureau)
    workflow.transition(app, "select_municipal", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    client.force_login(expert)
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    assert "列入2026年市级专家服务团" not in page
    assert client.get(reverse("reviews:project_notice", args=[app.pk])).status_code == 404


# --- 附件2 outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "comment", "expected"),
    [
        ("commend", "服务成效显著", "专家服务基地动态管理评估：通报表扬"),
        ("qualify", "运行规范", "专家服务基地动态管理评估：合格"),
        ("require_rectification", "柔性引才机制未建立", "市人社局要求限期整改"),
    ],
)
def test_base_assessment_outcomes_have_a_banner(client, call, people, action, comment, expected):
    unit = people["unit"].organisation
    assessment = AssessmentFactory(call=call, unit=unit, recommender=unit.district)
    assessment = workflow.transition(assessment, "submit", user=people["unit"])
    assessment = workflow.transition(assessment, "accept", user=people["recommender"])
    assessment = workflow.transition(
        assessment, "recommend", user=people["recommender"], comment="同意"
    )
    params = {}
    if action == "require_rectification":
        params["deadline"] = timezone.localdate() + timezone.timedelta(days=30)
    workflow.transition(assessment, action, user=people["bureau"], comment=comment, params=params)
    assessment = Assessment.objects.get(pk=assessment.pk)
    page = page_of(client, people["unit"], assessment)
    text = banner(page)
    now = timezone.localtime()
    assert text.startswith(f"{expected} 决定日期：{now.year}年{now.month}月{now.day}日")
    assert f"意见： {comment}" in text
    assert "加盖单位公章" not in next_steps(page)
    if action == "commend":
        assert "2027年度专家服务活动申报中予以优先支持" in text
    if action == "require_rectification":
        assert f"整改期限：{params['deadline'].year}年" in text
        assert 'data-testid="reason"' not in page  # one banner, not the same reason twice


def test_the_home_pages_results_cost_the_same_for_one_item_or_several(client, call, people):
    """The unit's results come from one query of the audit trail per kind of item, whatever
    their number."""
    call.applications_per_unit = call.recommender_quota = 3
    call.save()
    bureau = people["bureau"]
    first = recommended(call, people)
    workflow.transition(first, "select_municipal", user=bureau)
    publication.publish(call=call, stage=SELECTION, user=bureau)
    client.force_login(people["unit"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("home")).content.decode()
        audit = [q for q in queries.captured_queries if "reviews_auditrecord" in q["sql"]]
        return len(audit), page.count('data-testid="home-result"')

    one = count()
    for name in ("第二个服务团", "第三个服务团"):
        app = recommended(call, people, name=name)
        workflow.transition(app, "decline", user=bureau, comment="不予入选")
    publication.publish(call=call, stage=SELECTION, user=bureau)
    three = count()
    assert (one[1], three[1]) == (1, 3)
    assert three[0] == one[0] == 1
