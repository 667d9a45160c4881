import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from stdnum.cn import uscc

from applications.choices import Affiliation, Category, Talent, TitleLevel
from applications.models import Application, BudgetItem, Expert, FundingSource, ServicePlace
from bases.choices import BaseLevel, HostType
from bases.models import Assessment, Base
from shanghai_experts.models import Call, Organisation, User
from shanghai_experts.validators import organisation_code_check

PASSWORD = "Test@2026pass"


def make_uscc(n: int) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015): an enterprise registered in Shanghai, whose
    organisation code MA…… carries its own check character."""
    organisation = f"MA{n:06d}"
    body = "91310000" + organisation + organisation_code_check(organisation)
    return body + uscc.calc_check_digit(body)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call
        django_get_or_create = ("year",)

    year = 2026
    document_number = "沪人社专〔2026〕14号"
    title = "关于组织申报2026年国家和本市专家服务基层项目的通知"
    opens_on = datetime.date(2026, 1, 19)
    unit_deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))
    recommender_deadline = factory.LazyAttribute(
        lambda o: o.unit_deadline + datetime.timedelta(days=7)
    )


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.DISTRICT
    name = factory.Sequence(lambda n: f"上海市第{n}区人力资源和社会保障局")
    short_name = factory.Sequence(lambda n: f"第{n}区人社局")


class CommissionFactory(DistrictFactory):
    kind = Organisation.Kind.COMMISSION
    name = factory.Sequence(lambda n: f"上海市第{n}委员会")
    short_name = factory.Sequence(lambda n: f"市第{n}委")


class BureauFactory(DistrictFactory):
    kind = Organisation.Kind.MUNICIPAL
    name = "上海市人力资源和社会保障局"
    short_name = "市人社局"

    class Meta:
        model = Organisation
        django_get_or_create = ("name",)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.UNIT
    name = factory.Sequence(lambda n: f"上海市第{n}人民医院")
    short_name = factory.Sequence(lambda n: f"第{n}医院")
    uscc = factory.Sequence(make_uscc)
    district = factory.SubFactory(DistrictFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    organisation = factory.SubFactory(UnitFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with nothing filled in."""

    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    unit = factory.SubFactory(UnitFactory)


class CompleteApplicationFactory(ApplicationFactory):
    """A draft that passes every submission check."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    recommender = factory.LazyAttribute(lambda o: o.unit.district)
    name = "瑞金医院内分泌专家服务团"
    category = Category.NATIONAL
    relies_on_base = False
    expert_count = 2
    service_count = 3
    service_days = Decimal("6")
    start_date = datetime.date(2026, 3, 1)
    end_date = datetime.date(2026, 10, 31)
    service_field = "医疗卫生"
    department = "科教处"
    contact_name = "张华"
    office_phone = "021-64370045"
    mobile = "13812345678"
    email = "zhanghua@example.org"
    cross_key = True
    cross_key_counties = "云南省文山州广南县"
    service_forms = factory.LazyFunction(lambda: ["guidance", "training"])
    service_content = "赴云南广南县开展糖尿病诊疗技术指导。"
    budget_total = Decimal("25")
    requested_amount = Decimal("20")
    summary = "糖尿病诊疗技术指导与基层医生培训。"
    service_goal = "培训基层医生50名，解决基层糖尿病规范化诊疗的2个具体问题。"
    professional_field = "内分泌与代谢病"
    applicant_opinion = "同意申报。"

    @factory.post_generation
    def rows(obj, create, extracted, **kwargs):
        if not create:
            return
        ServicePlace.objects.create(
            application=obj,
            # Picked from the national divisions: 云南省文山壮族苗族自治州广南县.
            province_code="530000",
            city_code="532600",
            county_code="532627",
            is_key_county=True,
        )
        Expert.objects.create(
            application=obj,
            name="宁光",
            work_unit=obj.unit.name,
            affiliation=Affiliation.OWN,
            title="主任医师",
            title_level=TitleLevel.SENIOR,
            talents=[Talent.ACADEMICIAN],
            specialty="内分泌",
            mobile="13900000001",
            is_leader=True,
        )
        Expert.objects.create(
            application=obj,
            name="王卫庆",
            work_unit="外院",
            affiliation=Affiliation.EXTERNAL,
            title="副主任医师",
            title_level=TitleLevel.ASSOCIATE,
            specialty="内分泌",
            mobile="13900000002",
            position=1,
        )
        BudgetItem.objects.create(application=obj, item="差旅费", amount=Decimal("15"))
        BudgetItem.objects.create(application=obj, item="培训费", amount=Decimal("10"), position=1)
        FundingSource.objects.create(application=obj, source="申请资助", amount=Decimal("20"))
        FundingSource.objects.create(application=obj, source="单位自筹", amount=Decimal("5"))


class BaseFactory(factory.django.DjangoModelFactory):
    """A 2022 base in the registry, as the 2026 call assesses them."""

    class Meta:
        model = Base

    name = factory.Sequence(lambda n: f"第{n}专家服务基地")
    host_unit = factory.SubFactory(UnitFactory)
    level = BaseLevel.NATIONAL
    year_selected = 2022
    region = "云南省文山州"
    industry = "医疗卫生"
    host_types = factory.LazyFunction(lambda: [HostType.RESEARCH])
    own_experts = 12
    external_experts = 5
    department = "科教处"
    contact_name = "李明"
    office_phone = "021-64370045"
    mobile = "13812345678"
    email = "liming@example.org"
    address = "上海市黄浦区瑞金二路197号"


class AssessmentFactory(factory.django.DjangoModelFactory):
    """An assessment whose 附件2 passes every submission check."""

    class Meta:
        model = Assessment

    call = factory.SubFactory(CallFactory)
    base = factory.SubFactory(BaseFactory)
    unit = factory.LazyAttribute(lambda o: o.base.host_unit)
    recommender = factory.LazyAttribute(lambda o: o.base.host_unit.district)
    # As the bureau opens it: the registry's boxes, which the unit then keeps up to date.
    region = factory.SelfAttribute("base.region")
    industry = factory.SelfAttribute("base.industry")
    host_types = factory.SelfAttribute("base.host_types")
    own_experts = factory.SelfAttribute("base.own_experts")
    external_experts = factory.SelfAttribute("base.external_experts")
    department = factory.SelfAttribute("base.department")
    contact_name = factory.SelfAttribute("base.contact_name")
    office_phone = factory.SelfAttribute("base.office_phone")
    mobile = factory.SelfAttribute("base.mobile")
    email = factory.SelfAttribute("base.email")
    address = factory.SelfAttribute("base.address")
    system_building = "建立专家服务管理办法和年度计划制度。"
    flexible_talent = "与复旦大学共建联合实验室，柔性引进专家8名。"
    activities = "近三年开展专家服务活动24次，服务基层医生600人次。"
    funding_use = "专项经费60万元，全部用于专家差旅和培训。"
    three_year_plan = "每年开展服务活动不少于8次，培养基层骨干30名。"
    activity_count = 24
    list_summary = "开展内分泌专家服务活动，服务基层医生600人次。"
    list_goal = "培养基层骨干30名，提升基层糖尿病诊治能力。"
    applicant_opinion = "情况属实，同意报送。"
    rectification_report = "已按整改意见完善制度并开展服务4次。"
