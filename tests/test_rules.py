"""Each submission rule of 附件1, with a passing and a failing case."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from applications.choices import Talent, TitleLevel
from applications.models import Expert
from shanghai_experts.text import reader_length
from shanghai_experts.validators import validate_mobile, validate_office_phone, validate_uscc

from .factories import (
    ApplicationFactory,
    BureauFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    make_uscc,
)


def problems_of(app):
    return {(p.section, p.field): p.message for p in app.submission_problems()}


@pytest.fixture
def app(db, call):
    return CompleteApplicationFactory(call=call)


def test_complete_application_has_no_problems(app):
    assert app.submission_problems() == []


def test_empty_draft_lists_every_required_box(db, call):
    problems = problems_of(ApplicationFactory(call=call))
    for field in ("name", "category", "start_date", "mobile", "service_content", "summary"):
        assert problems[(None, field)] == "此项为必填项。"
    assert problems[(None, "experts")] == "请填写参与服务的专家名单。"
    assert problems[(None, "places")] == "请至少填写一个活动地点。"
    assert problems[(None, "recommender")] == "请选择推荐单位。"


# --- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13812345678", "19900001111"])
def test_mobile_accepts(value):
    validate_mobile(value)


@pytest.mark.parametrize("value", ["1381234567", "12812345678", "23812345678", "138-1234-5678"])
def test_mobile_refuses(value):
    with pytest.raises(ValidationError, match="手机号码应为 11 位数字"):
        validate_mobile(value)


@pytest.mark.parametrize(
    "value", ["021-63588888", "02163588888", "0571-8888888", "021-63588888-123"]
)
def test_office_phone_accepts(value):
    validate_office_phone(value)


@pytest.mark.parametrize("value", ["63588888", "13812345678", "21-63588888", "021-635"])
def test_office_phone_refuses(value):
    with pytest.raises(ValidationError, match="办公电话应带区号"):
        validate_office_phone(value)


@pytest.mark.parametrize(
    "value", ["91310000132200821H", "1231000042500316XW", "Y1310000MA1K3A0B0B", make_uscc(7)]
)
def test_uscc_accepts_valid_codes_including_letter_authorities(value):
    validate_uscc(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91310000132200821A", "校验位不正确"),
        ("9131000013220082", "应为 18 位"),
        ("91310000I32200821H", "格式不正确"),
    ],
)
def test_uscc_refuses(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_uscc(value)


def test_unit_with_bad_uscc_cannot_submit(app):
    app.unit.uscc = "91310000132200821A"
    app.unit.save()
    assert "校验位不正确" in problems_of(app)[(None, "unit")]


def test_field_formats_on_the_application(app):
    app.mobile, app.office_phone, app.email = "123", "63588888", "not-an-email"
    problems = problems_of(app)
    assert problems[(None, "mobile")].startswith("手机号码应为 11 位数字")
    assert problems[(None, "office_phone")].startswith("办公电话应带区号")
    assert problems[(None, "email")] == "E-mail 格式不正确，例如 name@example.com。"


# --- dates and service time ----------------------------------------------------------------


def test_end_before_start_refused(app):
    app.start_date, app.end_date = datetime.date(2026, 6, 1), datetime.date(2026, 5, 1)
    assert problems_of(app)[(None, "end_date")] == "结束时间不能早于开始时间。"


def test_same_day_start_and_end_allowed_when_days_fit(app):
    app.start_date = app.end_date = datetime.date(2026, 6, 1)
    app.service_days = Decimal("5")
    assert (None, "end_date") not in problems_of(app)
    assert (
        problems_of(app)[(None, "service_days")] == "累计服务时长 5 天超过了开始至结束时间的 1 天。"
    )


def test_dates_outside_the_service_year_refused(app):
    app.start_date = datetime.date(2025, 12, 31)
    app.end_date = datetime.date(2027, 1, 1)
    problems = problems_of(app)
    assert problems[(None, "start_date")] == "应在 2026 年内（2026-01-01 至 2026-12-31）。"
    assert problems[(None, "end_date")] == "应在 2026 年内（2026-01-01 至 2026-12-31）。"


def test_five_day_minimum(app):
    app.service_days = Decimal("4.5")
    assert (
        problems_of(app)[(None, "service_days")] == "服务团累计服务时长不少于 5 天（当前 4.5 天）。"
    )
    app.service_days = Decimal("5")
    assert (None, "service_days") not in problems_of(app)


def test_service_count_at_least_one(app):
    app.service_count = 0
    assert problems_of(app)[(None, "service_count")] == "服务次数至少为 1 次。"
    app.service_count = 1
    assert (None, "service_count") not in problems_of(app)


# --- text limits ---------------------------------------------------------------------------


def test_reader_length_counts_as_a_reader():
    assert reader_length("  专家服务ABC123，  \r\n") == 11
    assert reader_length("第一行\r\n第二行") == 6
    assert reader_length("") == 0


def test_service_content_limit_counts_characters_not_bytes(app):
    app.service_content = "服" * 1000 + "\r\n\r\n"
    assert (None, "service_content") not in problems_of(app)
    app.service_content = "服" * 1001
    assert problems_of(app)[(None, "service_content")] == "不超过 1000 字（当前 1001 字）。"


def test_summary_limit(app):
    app.summary = "简" * 200
    assert (None, "summary") not in problems_of(app)
    app.summary = "简" * 199 + "ab"
    assert problems_of(app)[(None, "summary")] == "不超过 200 字（当前 201 字）。"


# --- money ---------------------------------------------------------------------------------


def test_national_cap(app):
    app.requested_amount = Decimal("20.00")
    assert (None, "requested_amount") not in problems_of(app)
    app.requested_amount = Decimal("20.01")
    assert (
        problems_of(app)[(None, "requested_amount")] == "国家级专家服务团经费支持不超过 20 万元。"
    )


def test_municipal_cap(app):
    app.category = "municipal"
    app.requested_amount = Decimal("10")
    assert (None, "requested_amount") not in problems_of(app)
    app.requested_amount = Decimal("10.5")
    assert problems_of(app)[(None, "requested_amount")] == "市级专家服务团经费支持不超过 10 万元。"


def test_breakdown_and_sources_must_sum_to_total(app):
    app.budget_total = Decimal("26")
    problems = problems_of(app)
    assert (
        problems[(None, "budget_items")]
        == "预算明细合计 25 万元，与项目经费预算金额 26 万元不一致（少 1 万元）。"
    )
    assert (
        problems[(None, "funding_sources")]
        == "经费来源合计 25 万元，与项目经费预算金额 26 万元不一致（少 1 万元）。"
    )


def test_budget_rows_need_a_positive_amount(app):
    row = app.budget_items.first()
    row.amount = Decimal("0")
    row.save()
    assert problems_of(app)[("budget_items", "amount")] == "金额应大于 0。"


# --- experts -------------------------------------------------------------------------------


def test_every_expert_associate_senior_or_above(app):
    expert = app.experts.get(name="王卫庆")
    expert.title_level = TitleLevel.INTERMEDIATE
    expert.save()
    assert problems_of(app)[("experts", "title_level")] == "专家应具有副高级及以上专业技术职称。"


def test_at_least_one_leader(app):
    app.experts.update(is_leader=False)
    assert problems_of(app)[(None, "experts")] == "请至少指定一名领衔专家。"


def test_expert_count_equals_roster(app):
    app.expert_count = 3
    assert (
        problems_of(app)[(None, "expert_count")]
        == "参与服务专家人数为 3 人，与专家名单的 2 人不一致。"
    )


def test_expert_mobile_format(app):
    app.experts.filter(name="宁光").update(mobile="1234")
    assert problems_of(app)[("experts", "mobile")].startswith("手机号码应为 11 位数字")


# --- choices and places ----------------------------------------------------------------------


def test_ticked_assistance_needs_county_names(app):
    app.cross_key_counties = ""
    assert problems_of(app)[(None, "cross_key_counties")] == "已勾选此项，请填写县（市、区）名称。"
    app.cross_key, app.cross_key_counties = False, "广南县"
    assert problems_of(app)[(None, "cross_key")] == "填写了县名称，请勾选此项，或清空县名称。"


def test_other_service_form_needs_text(app):
    app.service_forms = ["other"]
    assert problems_of(app)[(None, "service_form_other")] == "选择“其他”时，请填写具体服务形式。"
    app.service_form_other = "远程会诊"
    assert (None, "service_form_other") not in problems_of(app)


def test_relying_on_a_base_needs_level_and_name(app):
    app.relies_on_base = True
    problems = problems_of(app)
    assert problems[(None, "base_level")].startswith("依托专家服务基地时，请选择基地级别")
    assert problems[(None, "base_name")] == "依托专家服务基地时，请填写基地名称。"


def test_place_counts_are_derived_from_places(app):
    app.places.create(province="云南省", city="文山壮族苗族自治州", county="富宁县")
    app.places.create(province="贵州省", city="遵义市", county="正安县")
    assert app.place_counts() == (2, 3)


# --- recommender -----------------------------------------------------------------------------


def test_direct_to_bureau_only_with_special_allowance_leader(app):
    app.recommender = BureauFactory()
    assert "享受政府特殊津贴专家领衔" in problems_of(app)[(None, "recommender")]
    leader = app.experts.get(is_leader=True)
    leader.talents = [Talent.SPECIAL_ALLOWANCE]
    leader.save()
    assert (None, "recommender") not in problems_of(app)


def test_commission_may_be_chosen(app, commission):
    app.recommender = commission
    assert (None, "recommender") not in problems_of(app)


def test_another_district_may_not_be_chosen(app):
    app.recommender = DistrictFactory()
    assert problems_of(app)[(None, "recommender")] == "只能向本单位所在区人社局或行业主管部门申报。"


def test_talent_other_needs_text(app):
    Expert.objects.filter(application=app, is_leader=True).update(talents=["other"])
    assert problems_of(app)[("experts", "talent_other")] == "选择“其他”时，请写明人才计划或荣誉。"


def test_a_title_below_its_ticked_level_is_refused(app):
    expert = app.experts.get(is_leader=True)
    expert.title = "讲师"
    expert.save()
    problems = problems_of(app)
    assert problems[("experts", "title")] == "“讲师”是中级或初级职称，与所选的“正高级”不符。"
