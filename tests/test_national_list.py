"""类别 in the lists sent on: the bureau's decision where there is one, read back cell by cell.

An item declared 市级 that the bureau recommended to the Ministry and the Ministry approved is
a 国家级服务团 on the national list and in the bureau's 一览表; an item declared 国家级 that the
bureau listed as 市级 is a 市级服务团. A recommender reads the decision only once published.
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from applications.choices import Category
from reviews import publication
from reviews.engine import workflow
from reviews.models import Publication

from .downloads import served
from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory

CATEGORY_COLUMN = 3  # C: 类别
NAME_COLUMN = 4  # D: 名称


@pytest.fixture
def district(db):
    return UnitFactory().district


@pytest.fixture
def people(district):
    return {
        "recommender": UserFactory(organisation=district),
        "bureau": UserFactory(organisation=BureauFactory()),
    }


def recommend(call, district, people, name, category):
    unit = UnitFactory(district=district)
    # A 市级 team asks for no more than the 市级 cap (10 万元).
    app = CompleteApplicationFactory(
        call=call, unit=unit, name=name, category=category, requested_amount=Decimal("10")
    )
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=people["recommender"])
    return workflow.transition(app, "recommend", user=people["recommender"], comment="同意")


def approve(app, bureau):
    """人社部批准, with the 文号 and date of the Ministry's document."""
    today = timezone.localdate()
    params = {"document_number": f"人社厅函〔{today.year}〕58号", "approved_on": today}
    return workflow.transition(app, "mohrss_approve", user=bureau, params=params)


def categories(client, **params) -> dict[str, str]:
    """名称 → 类别, read cell by cell from the downloaded workbook's data rows."""
    response = served(client.get(reverse("reviews:export"), params))
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    found = {}
    row = 3
    while True:
        first = ws.cell(row=row, column=1).value
        if first is None or (isinstance(first, str) and first.startswith("注")):
            return found
        found[ws.cell(row=row, column=NAME_COLUMN).value] = ws.cell(
            row=row, column=CATEGORY_COLUMN
        ).value
        row += 1


@pytest.fixture
def decided(call, district, people):
    call.recommender_quota = 5
    call.save()
    bureau = people["bureau"]
    up = recommend(call, district, people, "申报市级获批国家级", Category.MUNICIPAL)
    down = recommend(call, district, people, "申报国家级列入市级", Category.NATIONAL)
    kept = recommend(call, district, people, "申报国家级待人社部", Category.NATIONAL)
    declined = recommend(call, district, people, "申报市级未入选", Category.MUNICIPAL)
    up = workflow.transition(up, "select_national", user=bureau)
    workflow.transition(down, "select_municipal", user=bureau)
    workflow.transition(kept, "select_national", user=bureau)
    workflow.transition(declined, "decline", user=bureau, comment="服务计划不具体")
    return {"up": up, "kept": kept}


def test_national_list_shows_the_decision_not_the_declared_category(client, decided, people):
    approve(decided["up"], people["bureau"])
    client.force_login(people["bureau"])
    assert categories(client, list="national") == {
        "申报市级获批国家级": "国家级服务团",
        "申报国家级待人社部": "国家级服务团",
    }


def test_bureau_list_shows_each_decision(client, decided, people):
    approve(decided["up"], people["bureau"])
    workflow.transition(decided["kept"], "mohrss_to_municipal", user=people["bureau"])
    client.force_login(people["bureau"])
    assert categories(client) == {
        "申报市级获批国家级": "国家级服务团",
        "申报国家级列入市级": "市级服务团",
        "申报国家级待人社部": "市级服务团",  # the Ministry did not approve: 转市级
        "申报市级未入选": "市级服务团",  # no category decided: the declared one stands
    }


def test_recommender_reads_the_decision_only_once_published(client, call, decided, people):
    client.force_login(people["recommender"])
    declared = {
        "申报市级获批国家级": "市级服务团",
        "申报国家级列入市级": "国家级服务团",
        "申报国家级待人社部": "国家级服务团",
        "申报市级未入选": "市级服务团",
    }
    assert categories(client) == declared
    publication.publish(call=call, stage=Publication.Stage.SELECTION, user=people["bureau"])
    assert categories(client) == {
        **declared,
        "申报市级获批国家级": "国家级服务团",
        "申报国家级列入市级": "市级服务团",
    }
