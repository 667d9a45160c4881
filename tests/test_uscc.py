"""统一社会信用代码: the whole structure of GB 32100-2015 is checked, each part named in Chinese,
and a registered code does not name its unit to an anonymous visitor (issue 24)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from stdnum.cn import uscc

from portal.management.commands.load_demo import UNITS
from shanghai_experts.models import Organisation
from shanghai_experts.validators import validate_uscc

from .factories import DistrictFactory, UnitFactory, make_uscc
from .test_accounts import registration


@pytest.mark.parametrize(
    "code",
    [
        "91310000132200821H",  # 上海电气: 工商, 企业, 上海市
        "1231000042500316XW",  # 机构编制, 事业单位; the organisation code's check is X
        "51310000MJ49970110",  # 民政, 社会团体
        "N2310115MF3A8BBW5A",  # 农业农村, 村级集体经济组织, 浦东新区
        "12100000400000624D",  # registered by a national office (100000)
        "91310230MA1JX2L64F",  # 崇明县 (310230): a former division's code stays valid
    ],
)
def test_valid_codes_pass(code):
    validate_uscc(code)


def recheck(body17: str) -> str:
    """`body17` with its final check character (so only the part under test is wrong)."""
    return body17 + uscc.calc_check_digit(body17)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (recheck("B1310000132200821"), "第 1 位（登记管理部门代码）“B”无效"),
        (
            recheck("94310000132200821"),
            "第 2 位（机构类别代码）“4”与第 1 位的登记管理部门（市场监管（工商））不符",
        ),
        (recheck("Y2310000132200821"), "第 2 位（机构类别代码）“2”"),
        (recheck("91319999132200821"), "第 3–8 位（登记机关行政区划代码）“319999”不是有效的"),
        (recheck("91990000132200821"), "“990000”不是有效的行政区划代码"),
        (recheck("91310000132200822"), "第 9–17 位（组织机构代码）的校验码不正确"),
        ("91310000132200821A", "校验位不正确（第 18 位）"),
        ("91310000I32200821H", "格式不正确：第 9 位“I”不能使用"),
        ("9131000013220082", "应为 18 位（当前 16 位）"),
    ],
)
def test_each_part_of_the_structure_is_checked_and_named(code, message):
    with pytest.raises(ValidationError) as raised:
        validate_uscc(code)
    assert message in raised.value.messages[0]
    assert raised.value.messages[0].startswith("统一社会信用代码")


@pytest.mark.django_db
def test_the_registration_form_names_the_wrong_part(client):
    district = DistrictFactory()
    bad = recheck("91319999132200821")
    html = client.post(reverse("accounts:register"), registration(district, uscc=bad)).content
    assert "行政区划代码" in html.decode() and "319999" in html.decode()
    assert not Organisation.objects.filter(uscc=bad).exists()


@pytest.mark.django_db
def test_a_registered_code_does_not_name_the_unit_to_a_visitor(client):
    district = DistrictFactory(short_name="长宁区人社局")
    existing = UnitFactory(name="上海市第一人民医院", district=district)
    html = client.post(
        reverse("accounts:register"), registration(district, uscc=existing.uscc)
    ).content.decode()
    assert "该统一社会信用代码已经注册" in html and "所在区人社局" in html
    assert "上海市第一人民医院" not in html


def test_the_factories_and_the_demo_data_make_valid_codes():
    for n in (0, 1, 7, 4242, 999_999):
        validate_uscc(make_uscc(n))
    for _name, _short, code, _district, _commission in UNITS:
        validate_uscc(code)


@pytest.mark.django_db
def test_the_demo_loads_with_its_codes_checked_as_the_model_checks_them():
    call_command("load_demo", "--demo-on-production", stdout=io.StringIO())
    units = Organisation.objects.filter(kind=Organisation.Kind.UNIT).exclude(uscc="")
    assert units.count() == len(UNITS)
    for unit in units:
        unit.full_clean(exclude=["district", "commission"])
