"""Organisations, their users and the annual call (申报批次)."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from .text import normalise_uscc
from .validators import validate_uscc


class Organisation(models.Model):
    class Kind(models.TextChoices):
        UNIT = "unit", "申报单位"
        DISTRICT = "district", "区人社局"
        COMMISSION = "commission", "委、办、局（行业主管部门）"
        MUNICIPAL = "municipal", "市人社局"
        #: The bureau's panel of outside experts (评审专家): they score what they are assigned.
        REVIEWERS = "reviewers", "评审专家组"

    RECOMMENDER_KINDS = (Kind.DISTRICT, Kind.COMMISSION)

    kind = models.CharField("机构类型", max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField("机构全称", max_length=120, unique=True)
    short_name = models.CharField("简称", max_length=60, blank=True)
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, blank=True, validators=[validate_uscc]
    )
    district = models.ForeignKey(
        "self",
        verbose_name="所在区人社局",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="district_units",
        limit_choices_to={"kind": "district"},
        help_text="申报单位所在区的人力资源社会保障局。",
    )
    commission = models.ForeignKey(
        "self",
        verbose_name="行业主管部门",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="industry_units",
        limit_choices_to={"kind": "commission"},
    )
    email = models.EmailField("联系邮箱", blank=True)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    contact_mobile = models.CharField("联系人手机", max_length=20, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Approval(models.TextChoices):
        APPROVED = "approved", "已通过"
        PENDING = "pending", "待审核"
        REJECTED = "rejected", "未通过"

    #: A unit that registered itself waits for its district office or the bureau.
    approval = models.CharField(
        "注册审核", max_length=12, choices=Approval.choices, default=Approval.APPROVED
    )
    rejection_reason = models.TextField("未通过原因", blank=True)
    registered_at = models.DateTimeField("注册时间", null=True, blank=True)

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["kind", "id"]
        constraints = [
            # One organisation per code: a second registration is refused, never duplicated.
            models.UniqueConstraint(
                fields=["uscc"],
                condition=~models.Q(uscc=""),
                name="one_organisation_per_uscc",
                violation_error_message="该统一社会信用代码已注册。",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_approved(self) -> bool:
        return self.approval == self.Approval.APPROVED

    @property
    def is_unit(self) -> bool:
        return self.kind == self.Kind.UNIT

    @property
    def is_recommender(self) -> bool:
        return self.kind in self.RECOMMENDER_KINDS

    @property
    def is_bureau(self) -> bool:
        return self.kind == self.Kind.MUNICIPAL

    @property
    def is_reviewer_panel(self) -> bool:
        return self.kind == self.Kind.REVIEWERS

    def registration_contact(self) -> dict[str, str]:
        """The contact typed at registration (or onboarding), named as the forms' contact boxes
        are (附件1, 附件2: contact_name, mobile, email): what a new draft starts from. Only
        the boxes it has a value for."""
        contact = {
            "contact_name": self.contact_name,
            "mobile": self.contact_mobile,
            "email": self.email,
        }
        return {name: value for name, value in contact.items() if value}

    def clean(self):
        # As typed or pasted: full-width characters, spaces, lower case; stored as the code is.
        self.uscc = normalise_uscc(self.uscc)
        if self.kind == self.Kind.UNIT:
            if not self.uscc:
                raise ValidationError({"uscc": "申报单位必须填写统一社会信用代码。"})
            if not self.district_id:
                raise ValidationError({"district": "申报单位必须选择所在区人社局。"})
        elif self.district_id or self.commission_id:
            raise ValidationError("只有申报单位才有所在区和行业主管部门。")


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="所属机构",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = models.CharField("联系电话", max_length=32, blank=True)
    #: Set for a password someone else chose (the first administrator's, an admin's reset):
    #: every page leads to 修改密码 until the user picks their own.
    must_change_password = models.BooleanField("须修改密码", default=False)
    #: A 评审专家's own employer: they may not review its applications (回避).
    affiliation = models.ForeignKey(
        Organisation,
        verbose_name="工作单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affiliated_reviewers",
        help_text="评审专家的工作单位；不分配其本单位的申报。",
    )
    #: May invite and deactivate colleagues of the same organisation (the unit's first account).
    is_org_admin = models.BooleanField("本单位账号管理员", default=False)
    #: A self-registered account until its e-mail address is confirmed by the activation link.
    awaiting_activation = models.BooleanField("待激活", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    #: The optional columns of the project lists (reviews.columns) this user chose to see;
    #: None until they choose, when the list shows its default columns.
    list_columns = models.JSONField("项目列表显示的列", null=True, blank=True, default=None)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def password_expired(self, max_age_days: int) -> bool:
        """True when the password is older than `max_age_days` (0: passwords never expire)."""
        if not max_age_days:
            return False
        changed = self.password_changed_at or self.date_joined
        return timezone.now() - changed > datetime.timedelta(days=max_age_days)


#: Fields that records about an item keep (the bureau's receipt of the paper form, the grade
#: of the unit's stamped scan), never part of what the unit submitted: the submitted content
#: (applications.rules.snapshot, bases.rules.snapshot) and so the printed fingerprint leave
#: them out, or a receipt or an upload would change the fingerprint of a stamped form.
ITEM_RECORD_FIELDS = frozenset({"paper_received_on", "paper_received_by", "applicant_scan"})


class PaperReceipt(models.Model):
    """The bureau's record that an item's stamped paper form (函报) arrived: when, and who.
    Both forms' items carry it (附件1 applications, 附件2 assessments)."""

    paper_received_on = models.DateField("书面材料收到日期", null=True, blank=True)
    paper_received_by = models.ForeignKey(
        "shanghai_experts.User",
        verbose_name="书面材料登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class ListedRows:
    """For models whose lists load a few of many columns (`.only()`): a row is built from
    the columns read, as Django's documented `Model.from_db` hook allows, rather than through
    `__init__`, which visits every one of the model's ~70 fields to skip the deferred ones
    and cost a 50-row list page about a millisecond. The instance is the same: deferred fields
    load on access, and nothing listens to the model's init signals (no image fields)."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if len(values) == len(cls._meta.concrete_fields):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new._state = models.base.ModelState()
        new._state.adding = False
        new._state.db = db
        new.__dict__.update(zip(field_names, values, strict=True))
        return new


class StampedScanStatus(models.Model):
    """Where the applicant's stamped scan (盖章件) of an item stands, as lists show it: kept on
    the item when a scan is uploaded (reviews.documents.scans.store), so a list page reads a column
    instead of looking up each row's latest scan. Both forms' items carry it."""

    class Scan(models.IntegerChoices):
        NONE = 0, "无"
        UPLOADED = 1, "已上传"  # its fingerprint not read, or not the submitted version's
        MATCHING = 2, "一致"  # its fingerprint is the submitted version's

    applicant_scan = models.PositiveSmallIntegerField(
        "申报单位盖章件", choices=Scan.choices, default=Scan.NONE, editable=False
    )

    class Meta:
        abstract = True

    @classmethod
    def grade(cls, matches: bool | None) -> int:
        """The grade of a scan that is the latest: 一致 only if it matches the version."""
        return cls.Scan.MATCHING if matches else cls.Scan.UPLOADED


class CallQuerySet(models.QuerySet):
    def current(self, organisation: "Organisation | None" = None) -> "Call | None":
        """The call users work on now: the newest one that has opened, else the newest.

        With `organisation`, the call comes with that organisation's deadline extension, if
        any, in the same query (deadline_for then asks nothing more).
        """
        qs = self
        if organisation is not None:
            qs = qs.annotate(
                viewer_extension=models.Subquery(
                    DeadlineExtension.objects.filter(
                        call=models.OuterRef("pk"), organisation=organisation
                    ).values("deadline")[:1]
                )
            )
        today = timezone.localdate()
        call = qs.filter(opens_on__lte=today).order_by("-year").first() or (
            qs.order_by("-year").first()
        )
        if call is not None and organisation is not None:
            call.known_extensions = {organisation.pk: call.viewer_extension}
        return call


def parse_reminder_days(value: str) -> list[int]:
    """ "3,1" → [3, 1]: the days before a deadline its reminders go, largest first."""
    days = set()
    for part in (value or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 60:
            raise ValidationError(f"截止提醒：“{part}”不是 1 到 60 之间的天数。")
        days.add(int(part))
    return sorted(days, reverse=True)


def validate_reminder_days(value: str) -> None:
    parse_reminder_days(value)


class Call(models.Model):
    """One annual call for applications, editable by the administrator."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    document_number = models.CharField("文号", max_length=60)
    title = models.CharField("通知标题", max_length=200)
    opens_on = models.DateField("开始申报日期")
    unit_deadline = models.DateTimeField(
        "申报单位截止时间", help_text="申报单位向推荐单位提交的截止时间。"
    )
    recommender_deadline = models.DateTimeField(
        "推荐单位截止时间", help_text="推荐单位向市人社局报送的截止时间。"
    )
    national_cap = models.DecimalField(
        "国家级服务团经费支持上限（万元）",
        max_digits=8,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    municipal_cap = models.DecimalField(
        "市级服务团经费支持上限（万元）",
        max_digits=8,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    applications_per_unit = models.PositiveSmallIntegerField(
        "每个申报单位可申报项目数", default=1, validators=[MinValueValidator(1)]
    )
    recommender_quota = models.PositiveSmallIntegerField(
        "每个推荐单位可推荐服务团数",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="优中选优；服务基地评估不占名额。",
    )
    spread_threshold = models.DecimalField(
        "评分分歧提示阈值",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        help_text="同一项目各评审专家总分的极差超过此值时，在列表中标出，提示复核。",
    )
    direct_limit = models.PositiveSmallIntegerField(
        "特贴专家领衔项目直报上限",
        null=True,
        blank=True,
        help_text="享受政府特殊津贴专家领衔、直接报市人社局的项目数上限；留空为不限。",
    )
    review_deadline = models.DateTimeField(
        "评审截止时间",
        null=True,
        blank=True,
        help_text="评审专家提交评分的截止时间；过后不能再提交评分，除非延后本时间。"
        "截止前按设置的时间（如 48、24 小时）提醒尚未提交评分的评审专家。",
    )
    reminder_days = models.CharField(
        "截止提醒（提前天数）",
        max_length=40,
        default="3,1",
        validators=[validate_reminder_days],
        help_text="申报单位、推荐单位和整改中的基地在各自截止前若干天收到提醒，"
        "多个天数用逗号分隔（如 3,1）；留空不提醒。",
    )
    min_service_days = models.PositiveSmallIntegerField("累计服务时长下限（天）", default=5)
    service_content_limit = models.PositiveIntegerField("服务内容字数上限", default=1000)
    summary_limit = models.PositiveIntegerField("一览表服务内容简介字数上限", default=200)
    base_narrative_limit = models.PositiveIntegerField("附件2 第3、5项字数上限", default=1000)
    bureau_email = models.EmailField("市人社局收件邮箱", blank=True)
    require_stamped_scan = models.BooleanField(
        "须上传盖章扫描件",
        default=False,
        help_text="勾选后：申报单位须上传与提交版本一致的盖章扫描件，推荐单位才能推荐；"
        "推荐单位须上传盖章意见扫描件，市人社局才能作出决定。",
    )
    notice_text = models.TextField(
        "通知全文", blank=True, help_text="首页“申报通知”显示的通知原文（不含附件表样）。"
    )
    unit_steps = models.TextField(
        "申报单位线下步骤",
        blank=True,
        default=(
            "提交后，请打印申报表（PDF），由单位负责人审核并加盖单位公章，扫描后在本页上传盖章件；"
            "纸质材料按推荐单位的要求报送。"
        ),
        help_text="显示在申报单位的项目页“下一步”中。",
    )
    recommender_steps = models.TextField(
        "推荐单位线下步骤",
        blank=True,
        default=(
            "请于{deadline}前将书面推荐材料（推荐函、申报表、一览表）函报市人力资源社会保障局，"
            "并注明联系人姓名、电话、手机；同时将电子版发送至 {email}。"
        ),
        help_text="显示在推荐单位的项目页“下一步”中；{deadline} 为推荐截止时间，{email} 为收件邮箱。",
    )

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommender_deadline__gte=models.F("unit_deadline")),
                name="call_recommender_deadline_after_unit_deadline",
                violation_error_message="推荐单位截止时间不得早于申报单位截止时间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} 年（{self.document_number}）"

    @property
    def service_year_start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def service_year_end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)

    def cap_for(self, category: str) -> Decimal:
        return self.national_cap if category == "national" else self.municipal_cap

    def quota_for(self, organisation: Organisation) -> int | None:
        """How many service teams this recommender may recommend (the bureau may raise it).
        For the bureau itself, the direct route of 特贴-led projects: `direct_limit`, and None
        (no limit) unless the bureau sets one."""
        if organisation.is_bureau:
            return self.direct_limit
        raised = (
            self.quotas.filter(organisation=organisation).values_list("quota", flat=True).first()
        )
        return raised if raised is not None else self.recommender_quota

    @property
    def reminder_day_list(self) -> list[int]:
        try:
            return parse_reminder_days(self.reminder_days)
        except ValidationError:
            return []

    def deadline_for(self, organisation: Organisation) -> datetime.datetime:
        """The deadline that binds this organisation, after any extension the bureau granted."""
        default = self.unit_deadline if organisation.is_unit else self.recommender_deadline
        known = getattr(self, "known_extensions", {})  # read with the call (current())
        if organisation.pk in known:
            extension = known[organisation.pk]
        else:
            extension = (
                self.extensions.filter(organisation=organisation)
                .values_list("deadline", flat=True)
                .first()
            )
        return max(default, extension) if extension else default


class DeadlineExtension(models.Model):
    """The bureau extends a deadline for one organisation, with a reason."""

    call = models.ForeignKey(
        Call, verbose_name="申报批次", on_delete=models.CASCADE, related_name="extensions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="机构", on_delete=models.CASCADE, related_name="extensions"
    )
    deadline = models.DateTimeField("延长至")
    reason = models.TextField("理由")
    granted_by = models.ForeignKey(
        User, verbose_name="批准人", on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField("批准时间", auto_now_add=True)

    class Meta:
        verbose_name = "截止时间延期"
        verbose_name_plural = "截止时间延期"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"], name="one_extension_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} 延期至 {timezone.localtime(self.deadline):%Y-%m-%d %H:%M}"


class RecommenderQuota(models.Model):
    """A recommender's quota of recommended service teams, raised by the bureau."""

    call = models.ForeignKey(
        Call, verbose_name="申报批次", on_delete=models.CASCADE, related_name="quotas"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="推荐单位",
        on_delete=models.CASCADE,
        related_name="quotas",
        limit_choices_to={"kind__in": Organisation.RECOMMENDER_KINDS},
    )
    quota = models.PositiveSmallIntegerField("可推荐服务团数", validators=[MinValueValidator(1)])
    reason = models.CharField("理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "推荐名额"
        verbose_name_plural = "推荐名额"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"], name="one_quota_per_recommender"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}：{self.quota} 个"
