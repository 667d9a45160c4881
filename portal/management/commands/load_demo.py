"""Demo data: the bureau, the 16 district offices, the commissions, some applicant units, one
login per role and the 2026 call. Safe to run again: it updates what it finds.

It resets the call's deadlines and installs accounts with a published password, so it refuses
to run with DEBUG off unless asked with --demo-on-production (a production-like demo)."""

import base64
import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.choices import Affiliation, Category, Talent, TitleLevel
from applications.models import Application, BudgetItem, Expert, FundingSource, ServicePlace
from bases.models import Base
from reviews.engine import workflow
from reviews.engine.services import open_assessments
from reviews.models import RecommenderFiling
from shanghai_experts.models import Call, Organisation, User
from shanghai_experts.reference import load_recommenders

DEMO_PASSWORD = "Demo@2026sh"
#: The published TOTP secret of the demo's bureau and admin accounts (two-factor login is
#: required for them): add it to any authenticator app, or run `manage.py demo_totp`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: Logins that enrol in two-factor login with the demo secret.
DEMO_TOTP_USERS = ("bureau", "admin")
NOTICE = Path(settings.BASE_DIR) / "shanghai_experts" / "data" / "notice-2026-14.txt"

# name, short name, USCC (whole structure valid per GB 32100-2015), district, commission
UNITS = [
    (
        "上海交通大学医学院附属瑞金医院",
        "瑞金医院",
        "1231000042500316XW",
        "黄浦区人社局",
        "市卫生健康委",
    ),
    ("复旦大学", "复旦大学", "12310000425006766D", "杨浦区人社局", "市教委"),
    ("上海市农业科学院", "市农科院", "12310000425010108P", "奉贤区人社局", "市农业农村委"),
    ("上海电气集团股份有限公司", "上海电气", "91310000132200821H", "黄浦区人社局", "市国资委"),
    (
        "上海联影医疗科技股份有限公司",
        "联影医疗",
        "91310115MA1K3A0B0X",
        "嘉定区人社局",
        "市经济信息化委",
    ),
    (
        "上海市崇明区农业技术推广中心",
        "崇明农技中心",
        "12310230MB2F4L1M36",
        "崇明区人社局",
        "市农业农村委",
    ),
]

# name, host unit, level, year selected, industry, host-unit type, own experts, external experts
DEMO_BASES = [
    (
        "瑞金医院内分泌代谢病专家服务基地",
        "瑞金医院",
        "national",
        2022,
        "医疗卫生",
        "research",
        18,
        6,
    ),
    (
        "市农科院设施园艺专家服务基地",
        "市农科院",
        "municipal",
        2022,
        "现代农业",
        "demonstration",
        12,
        4,
    ),
    ("崇明生态农业专家服务基地", "崇明农技中心", "national", 2022, "现代农业", "cooperative", 6, 9),
    (
        "上海电气智能制造专家服务基地",
        "上海电气",
        "municipal",
        2022,
        "高端装备",
        "high_tech_firm",
        15,
        3,
    ),
    (
        "联影医疗影像设备专家服务基地",
        "联影医疗",
        "municipal",
        2024,
        "医疗器械",
        "high_tech_firm",
        20,
        2,
    ),
]

# username, organisation short name, display name
LOGINS = [
    ("bureau", "市人社局", "专技处 王老师"),
    ("huangpu", "黄浦区人社局", "黄浦区人社局 李老师"),
    ("yangpu", "杨浦区人社局", "杨浦区人社局 赵老师"),
    ("weijian", "市卫生健康委", "市卫生健康委 陈老师"),
    ("ruijin", "瑞金医院", "瑞金医院科教处 张老师"),
    ("fudan", "复旦大学", "复旦大学人事处 周老师"),
    ("nongkeyuan", "市农科院", "市农科院人事处 吴老师"),
]

PANEL = "上海市专家服务基层项目评审专家组"
# username, display name, affiliation (short name): 评审专家 of the bureau's panel
REVIEWERS = [
    ("pingshen1", "评审专家 孙教授", "市农科院"),
    ("pingshen2", "评审专家 钱研究员", "上海电气"),
]


class Command(BaseCommand):
    help = "载入演示数据：机构、各角色账号、2026 年申报批次。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-on-production",
            action="store_true",
            help="在 DEBUG=0 的环境中也载入演示数据（仅用于演示环境，切勿用于正式申报）。",
        )
        parser.add_argument(
            "--notice-dates",
            action="store_true",
            help="使用通知原文的截止时间（推荐单位 2026-02-06）；默认把截止时间放在今天之后，便于演示。",
        )

    def handle(self, *args, notice_dates=False, demo_on_production=False, **options):
        if not settings.DEBUG and not demo_on_production:
            raise CommandError(
                "DEBUG=0：这是生产环境，拒绝载入演示数据（演示数据会重置截止时间并创建公开密码的账号）。"
                "如确为演示环境，请加 --demo-on-production。"
            )
        self._load(notice_dates)

    @transaction.atomic
    def _load(self, notice_dates):
        orgs = self._organisations()
        call = self._call(notice_dates)
        self._users(orgs)
        self._two_factor()
        self._filings(call, orgs)
        self._sample(call, orgs)
        self._bases(call, orgs)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已就绪：{Organisation.objects.count()} 个机构，"
                f"{User.objects.count()} 个账号；演示密码 {DEMO_PASSWORD}；"
                f"bureau 与 admin 的两步验证密钥 {DEMO_TOTP_SECRET}（manage.py demo_totp 显示当前验证码）"
            )
        )

    def _organisations(self) -> dict[str, Organisation]:
        orgs, _created = load_recommenders()
        for name, short, uscc, district, commission in UNITS:
            org, _ = Organisation.objects.update_or_create(
                name=name,
                defaults={
                    "kind": Organisation.Kind.UNIT,
                    "short_name": short,
                    "uscc": uscc,
                    "district": orgs[district],
                    "commission": orgs[commission],
                },
            )
            org.full_clean()
            orgs[short] = org
        return orgs

    def _call(self, notice_dates: bool) -> Call:
        tz = timezone.get_current_timezone()
        if notice_dates:
            unit_deadline = datetime.datetime(2026, 1, 30, 17, 0, tzinfo=tz)
            recommender_deadline = datetime.datetime(2026, 2, 6, 17, 0, tzinfo=tz)
        else:
            today = timezone.localdate()
            unit_deadline = datetime.datetime.combine(
                today + datetime.timedelta(days=21), datetime.time(17, 0), tzinfo=tz
            )
            recommender_deadline = unit_deadline + datetime.timedelta(days=7)
        call, _ = Call.objects.update_or_create(
            year=2026,
            defaults={
                "document_number": "沪人社专〔2026〕14号",
                "title": "上海市人力资源和社会保障局关于组织申报2026年国家和本市专家服务基层项目的通知",
                "opens_on": datetime.date(2026, 1, 19),
                "unit_deadline": unit_deadline,
                "recommender_deadline": recommender_deadline,
                "national_cap": Decimal("20"),
                "municipal_cap": Decimal("10"),
                "applications_per_unit": 1,
                "recommender_quota": 1,
                "min_service_days": 5,
                "service_content_limit": 1000,
                "summary_limit": 200,
                "base_narrative_limit": 1000,
                "bureau_email": "zjczjgz@163.com",
                "notice_text": NOTICE.read_text(encoding="utf-8").strip(),
            },
        )
        return call

    def _users(self, orgs) -> None:
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        panel, _ = Organisation.objects.get_or_create(
            name=PANEL, defaults={"kind": Organisation.Kind.REVIEWERS, "short_name": "评审专家组"}
        )
        for username, display, affiliation in REVIEWERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "organisation": panel,
                    "first_name": display,
                    "email": f"{username}@example.org",
                    "affiliation": orgs[affiliation],
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
        for username, org_short, display in LOGINS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "organisation": orgs[org_short],
                    "first_name": display,
                    "email": f"{username}@example.org",
                    "is_org_admin": True,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()

    def _filings(self, call: Call, orgs) -> None:
        """The demo's recommenders have recorded their contact (推荐报送), so they can 推荐."""
        for _username, org_short, display in LOGINS:
            org = orgs[org_short]
            if org.is_recommender:
                RecommenderFiling.objects.get_or_create(
                    call=call,
                    organisation=org,
                    defaults={
                        "contact_name": display.split()[-1],
                        "office_phone": "021-63588888",
                        "mobile": "13800000000",
                    },
                )

    def _two_factor(self) -> None:
        key = base64.b32decode(DEMO_TOTP_SECRET).hex()
        for user in User.objects.filter(username__in=DEMO_TOTP_USERS):
            TOTPDevice.objects.update_or_create(
                user=user, name="演示身份验证器", defaults={"key": key, "confirmed": True}
            )

    def _bases(self, call: Call, orgs) -> None:
        """2022 bases (assessed in 2026) and a 2024 one, with their 2026 assessments opened."""
        for name, host, level, year, industry, host_type, own, external in DEMO_BASES:
            unit = orgs[host]
            Base.objects.update_or_create(
                name=name,
                host_unit=unit,
                defaults={
                    "level": level,
                    "year_selected": year,
                    "industry": industry,
                    "host_types": [host_type],
                    "own_experts": own,
                    "external_experts": external,
                    "region": "上海市及长三角地区",
                    "department": "科研管理处",
                    "contact_name": "刘老师",
                    "office_phone": "021-63386000",
                    "mobile": "13917776666",
                    "email": "base@example.org",
                    "address": f"上海市{unit.district.short_name.removesuffix('人社局')}",
                },
            )
        bureau = User.objects.get(username="bureau")
        open_assessments(call=call, user=bureau)

    def _sample(self, call: Call, orgs) -> None:
        """One complete application of 复旦大学, submitted to 杨浦区人社局."""
        unit = orgs["复旦大学"]
        if Application.objects.filter(call=call, unit=unit).exists():
            return
        app = Application.objects.create(
            call=call,
            unit=unit,
            recommender=orgs["杨浦区人社局"],
            name="复旦大学公共卫生专家服务团",
            category=Category.MUNICIPAL,
            relies_on_base=False,
            expert_count=2,
            service_count=3,
            service_days=Decimal("6"),
            start_date=datetime.date(2026, 12, 1),
            end_date=datetime.date(2026, 12, 20),
            service_field="公共卫生",
            department="人事处",
            contact_name="周敏",
            office_phone="021-65642222",
            mobile="13816668888",
            email="zhoumin@example.org",
            local_other=True,
            local_other_counties="崇明区",
            service_forms=["guidance", "training", "outreach"],
            service_content="围绕社区慢性病防控，组织公共卫生专家赴崇明区开展技术指导和基层人员培训。",
            budget_total=Decimal("8"),
            requested_amount=Decimal("6"),
            summary="赴崇明区开展慢性病防控技术指导与基层培训。",
            service_goal="培训基层医务人员100人次，解决社区筛查流程不规范等2个问题。",
            professional_field="公共卫生与预防医学",
            applicant_opinion="同意申报。",
        )
        ServicePlace.objects.create(
            application=app, province="上海市", city="上海市", county="崇明区"
        )
        Expert.objects.create(
            application=app,
            name="何纳",
            work_unit="复旦大学公共卫生学院",
            affiliation=Affiliation.OWN,
            title="教授",
            title_level=TitleLevel.SENIOR,
            talents=[Talent.SPECIAL_ALLOWANCE],
            specialty="流行病学",
            mobile="13900001111",
            is_leader=True,
        )
        Expert.objects.create(
            application=app,
            name="钱序",
            work_unit="复旦大学附属中山医院",
            affiliation=Affiliation.EXTERNAL,
            title="主任医师",
            title_level=TitleLevel.SENIOR,
            specialty="全科医学",
            mobile="13900002222",
            position=1,
        )
        BudgetItem.objects.create(application=app, item="专家差旅", amount=Decimal("5"))
        BudgetItem.objects.create(application=app, item="培训资料", amount=Decimal("3"), position=1)
        FundingSource.objects.create(application=app, source="申请资助", amount=Decimal("6"))
        FundingSource.objects.create(
            application=app, source="单位自筹", amount=Decimal("2"), position=1
        )
        fudan_user = User.objects.get(username="fudan")
        workflow.transition(app, "submit", user=fudan_user)
