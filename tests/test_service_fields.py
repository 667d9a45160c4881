"""服务领域: the call's list (edited in the admin) offered under the box, a unit's own field
kept, and a field written as the list writes it counted as the list's field in 统计."""

import html

import pytest
from django.urls import reverse

from applications.models import ServiceFieldOption

from .factories import ApplicationFactory
from .forms_data import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_client(login, unit_user):
    return login(unit_user)


@pytest.fixture
def options(call):
    for i, name in enumerate(("医疗卫生", "农业农村", "先进制造")):
        ServiceFieldOption.objects.create(call=call, name=name, position=i)


def save(client, app, field):
    url = reverse("applications:edit", args=[app.pk])
    response = client.post(url, form_data(app, service_field=field, action="save"), follow=True)
    app.refresh_from_db()
    return html.unescape(response.content.decode())


def test_the_box_offers_the_calls_list(unit_client, call, unit, options):
    app = ApplicationFactory(call=call, unit=unit)
    page = unit_client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert 'list="service-field-options"' in page
    assert (
        '<datalist id="service-field-options"><option value="医疗卫生"></option>'
        '<option value="农业农村"></option><option value="先进制造"></option></datalist>'
    ) in page
    assert "可从列表中选择；列表中没有的（其他），请直接填写。" in page


def test_a_field_written_as_the_list_writes_it_is_the_lists(unit_client, call, unit, options):
    app = ApplicationFactory(call=call, unit=unit)
    save(unit_client, app, " 医疗 卫生 ")
    assert app.service_field == "医疗卫生"
    # 其他: a field the list lacks is kept as written.
    page = save(unit_client, app, "海洋渔业")
    assert app.service_field == "海洋渔业" and 'value="海洋渔业"' in page


def test_a_call_without_a_list_keeps_the_plain_box(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    page = unit_client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "service-field-options" not in page


def test_the_bureau_edits_the_list_in_the_admin(admin_client, call, options):
    url = reverse("admin:applications_servicefieldoption_changelist")
    page = admin_client.get(url).content.decode()
    assert "医疗卫生" in page and "先进制造" in page
    response = admin_client.post(
        reverse("admin:applications_servicefieldoption_add"),
        {"call": call.pk, "name": "海洋渔业", "position": 9},
    )
    assert response.status_code == 302
    assert list(call.service_fields.values_list("name", flat=True))[-1] == "海洋渔业"
