"""The first visit of a unit, a district office and the bureau: a new draft starts from the
unit's registration contact, and the offices' home pages say what waits for them."""

import uuid

import pytest
from django.urls import resolve, reverse

from applications.models import Application
from bases.models import Assessment
from shanghai_experts.models import Organisation, User

from .factories import BaseFactory, BureauFactory, DistrictFactory, UserFactory, make_uscc
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
