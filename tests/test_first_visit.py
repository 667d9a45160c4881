"""The first visit of a unit, a district office and the bureau: a new draft starts from the
unit's registration contact, and the offices' home pages say what waits for them."""

import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from applications.models import Application
from bases.models import Assessment
from reviews.models import ReviewAssignment
from shanghai_experts.models import Organisation, User
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
    make_uscc,
)
from .forms_data import form_data

pytestmark = pytest.mark.django_db


def registered_unit(client, district):
    """A unit registered through the registration page, approved and activated; its
    account logged in."""
    client.post(
        reverse("accounts:register"),
        {
            "name": "上海市某某社区卫生服务中心",
            "uscc": make_uscc(881),
            "district": district.pk,
            "commission": "",
            "contact_name": "王芳",
            "mobile": "13812345678",
            "email": "wangfang@example.org",
            "username": "moumou",
            "password1": "Xinmima#2026",
            "password2": "Xinmima#2026",
        },
    )
    unit = Organisation.objects.get(name="上海市某某社区卫生服务中心")
    Organisation.objects.filter(pk=unit.pk).update(approval=Organisation.Approval.APPROVED)
    User.objects.filter(username="moumou").update(awaiting_activation=False)
    client.logout()
    client.force_login(User.objects.get(username="moumou"))
    unit.refresh_from_db()
    return unit


def new_draft(client) -> Application:
    response = client.post(reverse("applications:create"), {"token": str(uuid.uuid4())})
    assert response.status_code == 302, response.content.decode()[:300]
    return Application.objects.get(pk=resolve(response.url).kwargs["pk"])


def test_a_new_draft_shows_the_registration_contact_on_its_edit_page(client, call):
    registered_unit(client, DistrictFactory())
    page = client.get(reverse("applications:edit", args=[new_draft(client).pk])).content.decode()
    assert 'name="contact_name"' in page
    for value in ('value="王芳"', 'value="13812345678"', 'value="wangfang@example.org"'):
        assert value in page


def test_an_edited_draft_keeps_its_own_contact(client, call):
    call.applications_per_unit = 2
    call.save()
    unit = registered_unit(client, DistrictFactory())
    app = new_draft(client)
    edit = reverse("applications:edit", args=[app.pk])
    data = form_data(app, contact_name="赵六", mobile="13900001111", email="", action="save")
    assert "草稿已保存。" in client.post(edit, data, follow=True).content.decode()
    # The unit's registration contact changes later; a second draft starts from the new one.
    unit.contact_name = "钱七"
    unit.save()
    page = client.get(edit).content.decode()
    assert 'value="赵六"' in page and 'value="13900001111"' in page
    assert "钱七" not in page and "wangfang@example.org" not in page
    second = new_draft(client)
    assert (second.contact_name, second.mobile) == ("钱七", "13812345678")


def test_a_double_click_on_create_does_not_overwrite_the_draft(client, call):
    unit = registered_unit(client, DistrictFactory())
    token = str(uuid.uuid4())
    first = client.post(reverse("applications:create"), {"token": token}).url
    app = Application.objects.get(unit=unit)
    Application.objects.filter(pk=app.pk).update(contact_name="赵六")
    assert client.post(reverse("applications:create"), {"token": token}).url == first
    assert Application.objects.get(unit=unit).contact_name == "赵六"


def test_a_new_assessment_fills_the_contact_boxes_the_registry_leaves_empty(client, call):
    district = DistrictFactory()
    registered_unit(client, district)
    unit = Organisation.objects.get(name="上海市某某社区卫生服务中心")
    bare = BaseFactory(
        host_unit=unit, year_selected=call.year - 4, contact_name="", mobile="", email=""
    )
    kept = BaseFactory(host_unit=unit, year_selected=call.year - 4)
    client.force_login(UserFactory(organisation=BureauFactory()))
    client.post(reverse("bases:open"))
    filled = Assessment.objects.get(base=bare)
    assert (filled.contact_name, filled.mobile, filled.email) == (
        "王芳",
        "13812345678",
        "wangfang@example.org",
    )
    assert filled.office_phone == bare.office_phone  # the registry's own boxes stay
    own = Assessment.objects.get(base=kept)
    assert (own.contact_name, own.mobile, own.email) == (kept.contact_name, kept.mobile, kept.email)
    # The unit sees them on its 附件2 edit page.
    client.force_login(User.objects.get(username="moumou"))
    page = client.get(reverse("bases:assessment_edit", args=[filled.pk])).content.decode()
    assert 'value="王芳"' in page and 'value="wangfang@example.org"' in page


# --- the offices' to-do counts ----------------------------------------------------------------


def make_items(call, district, n):
    """`n` items of every to-do kind of the bureau, and some that wait for nothing."""
    panel = Organisation.objects.get_or_create(
        kind=Organisation.Kind.REVIEWERS, name="市人社局评审专家组"
    )[0]
    experts = [UserFactory(organisation=panel) for _ in range(2)]
    bureau_user = UserFactory(organisation=Organisation.objects.get(kind="municipal"))
    now = timezone.now()

    def item(state, assigned=(), **fields):
        unit = UnitFactory(district=district)
        app = CompleteApplicationFactory(
            call=call, unit=unit, recommender=district, state=state, submitted_at=now, **fields
        )
        for expert, declaration in zip(experts, assigned, strict=False):
            ReviewAssignment.objects.create(
                application=app, reviewer=expert, assigned_by=bureau_user, declaration=declaration
            )
        return app

    made = {"assign": [], "decide": [], "mohrss": [], "registrations": [], "none": []}
    for _ in range(n):
        made["assign"].append(item(State.RECOMMENDED))  # nobody assigned
        # two assigned, one of them recused: one short
        made["assign"].append(item(State.RECOMMENDED, assigned=("none", "recused")))
        done = {"score_count": 2, "score_mean": Decimal("80"), "score_spread": Decimal("4")}
        made["decide"].append(item(State.RECOMMENDED, assigned=("none", "none"), **done))
        made["none"].append(item(State.RECOMMENDED, assigned=("none", "none")))  # being scored
        made["mohrss"].append(item(State.NATIONAL_CANDIDATE))
        made["none"].append(item(State.NATIONAL_TEAM))
        made["none"].append(item(State.SUBMITTED))
        made["decide"].append(
            AssessmentFactory(
                call=call,
                base=BaseFactory(host_unit=UnitFactory(district=district)),
                state=State.RECOMMENDED,
                submitted_at=now,
            )
        )
        made["registrations"].append(
            UnitFactory(district=district, approval="pending", registered_at=now)
        )
        UnitFactory(district=district, approval="approved", registered_at=now)
    return made


@pytest.fixture
def offices(db):
    bureau = BureauFactory()
    district, elsewhere = DistrictFactory(), DistrictFactory()
    UnitFactory(district=elsewhere, approval="pending", registered_at=timezone.now())
    return {
        "bureau": UserFactory(organisation=bureau),
        "district": UserFactory(organisation=district),
        "elsewhere": elsewhere,
    }


def tiles(page: str) -> dict[str, tuple[int, str]]:
    """The to-do tiles of a home page: key → (count, link)."""
    found = re.findall(
        r'href="([^"]+)" data-testid="todo-(\w+)">.*?data-testid="todo-count">(\d+)<',
        page,
        re.S,
    )
    return {key: (int(count), html.unescape(url)) for url, key, count in found}


def list_rows(client, url: str) -> list[str]:
    """The rows of the list a tile links to: the references (items) or the unit names
    (registrations) it shows."""
    page = client.get(url).content.decode()
    if "accounts/approvals" in url:
        return re.findall(r'<tr data-testid="registration">\s*<td>([^<]+)</td>', page)
    rows = []
    for kind in ("", "&category=assessment"):
        page = client.get(url + kind).content.decode()
        body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        rows += [
            row
            for row in re.findall(r"<tr\b.*?</tr>", body, re.S)
            if 'data-testid="totals"' not in row and "没有符合条件" not in row
        ]
    return rows


def test_the_bureau_home_page_counts_its_to_do_and_each_count_is_its_list(client, call, offices):
    made = make_items(call, offices["district"].organisation, 1)
    client.force_login(offices["bureau"])
    found = tiles(client.get(reverse("home")).content.decode())
    assert {key: count for key, (count, _) in found.items()} == {
        "assign": 2,
        "decide": 2,  # a scored 服务团 and a base assessment
        "mohrss": 1,
        "registrations": 2,  # every district's
    }
    for key, (count, url) in found.items():
        rows = list_rows(client, url)
        assert len(rows) == count, key
        if key != "registrations":
            for item in made[key]:
                assert any(item.reference in row for row in rows), (key, item.reference)
            for item in made["none"]:
                assert not any(item.reference in row for row in rows), (key, item.reference)


def test_the_district_home_page_says_how_many_registrations_wait_for_it(client, call, offices):
    made = make_items(call, offices["district"].organisation, 1)
    client.force_login(offices["district"])
    page = client.get(reverse("home")).content.decode()
    found = tiles(page)
    # Its own units only, and nothing of the bureau's review (shanghai_experts.visibility).
    assert set(found) == {"registrations"} and found["registrations"][0] == 1
    assert "待分配评审" not in page and "待决定" not in page
    rows = list_rows(client, found["registrations"][1])
    assert rows == [made["registrations"][0].name]


@pytest.mark.parametrize("rows", [1, 3])
def test_the_home_pages_cost_the_same_queries_whatever_the_rows(
    client, call, offices, rows, django_assert_num_queries
):
    make_items(call, offices["district"].organisation, rows)
    for who, queries in (("bureau", BUREAU_HOME_QUERIES), ("district", DISTRICT_HOME_QUERIES)):
        client.force_login(offices[who])
        with django_assert_num_queries(queries):
            assert client.get(reverse("home")).status_code == 200


# The session is read from the cache (cached_db), so a logged-in page asks the database once less.
BUREAU_HOME_QUERIES = 7
DISTRICT_HOME_QUERIES = 7


def test_registrations_wait_on_the_home_page_even_between_calls(client, offices):
    """No open call: the bureau still sees who waits for 注册审核, and nothing else."""
    UnitFactory(
        district=offices["district"].organisation, approval="pending", registered_at=timezone.now()
    )
    client.force_login(offices["bureau"])
    page = client.get(reverse("home")).content.decode()
    assert "目前没有开放的申报批次" in page
    found = tiles(page)
    assert set(found) == {"registrations"} and found["registrations"][0] == 2
    assert len(list_rows(client, found["registrations"][1])) == 2
