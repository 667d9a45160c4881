"""What the review of an item leaves: submitted content, scores and reviewers, stamped scans, notes,
publications, rendered PDFs and the recommenders' paper trail."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from records.models import AuditRecord, OutboundMail  # noqa: F401 (moved; callers follow)
from shanghai_experts.models import Organisation


class SubmittedContent(models.Model):
    """The form as submitted with one audit event: the history's diff and the fingerprint.

    Kept apart from the immutable record because it holds personal data (experts' names and
    mobiles, contacts): after AUDIT_RETENTION_DAYS the purge (`manage.py purge_expired`)
    pseudonymises it, while who did what and when stays untouched in the record.
    """

    record = models.OneToOneField(
        AuditRecord, on_delete=models.PROTECT, primary_key=True, related_name="content"
    )
    data = models.JSONField("提交内容")
    purged_at = models.DateTimeField("脱敏时间", null=True, blank=True)

    class Meta:
        verbose_name = "提交内容"
        verbose_name_plural = "提交内容"

    def __str__(self) -> str:
        return f"提交内容 #{self.record_id}"


class ScoringCriterion(models.Model):
    """One line of the bureau's score sheet for a call (需求精准度, 方案可行性, …)."""

    call = models.ForeignKey(
        "shanghai_experts.Call",
        verbose_name="申报批次",
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    name = models.CharField("评分项", max_length=40)
    description = models.CharField("评分要点", max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(
        "权重（%）", validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_points = models.PositiveSmallIntegerField(
        "满分", default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "评分项"
        verbose_name_plural = "评分项"
        ordering = ["call", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="criterion_name_once_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.name}（权重 {self.weight}%，满分 {self.max_points}）"


#: Seeded on every new call; the bureau changes them in the admin before scoring starts.
DEFAULT_CRITERIA = (
    ("需求精准度", "服务需求是否来自基层、具体明确", 20),
    ("方案可行性", "服务内容、组织形式、时间安排是否切实可行", 25),
    ("专家力量", "领衔专家层次与团队结构是否匹配服务需求", 25),
    ("预期成效", "服务目标是否具体，能否解决1-2个具体问题", 20),
    ("经费合理性", "预算构成与来源是否合理", 10),
)


class ScoreSheet(models.Model):
    """One bureau reviewer's scores for one application; its total is on a 0–100 scale."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="申报",
        on_delete=models.CASCADE,
        related_name="score_sheets",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评审人", on_delete=models.PROTECT
    )
    total = models.DecimalField("加权得分", max_digits=5, decimal_places=2)
    comment = models.TextField("评审意见", blank=True)
    updated_at = models.DateTimeField("评分时间", auto_now=True)
    #: Counts saves: a sheet saved from a page that is out of date is refused.
    version = models.PositiveIntegerField("版本", default=0)
    #: A 评审专家's sheet is final once submitted, unless the bureau reopens it. Only submitted
    #: sheets count towards the item's mean and spread.
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "评分表"
        verbose_name_plural = "评分表"
        ordering = ["application", "reviewer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="one_score_sheet_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.reviewer} · {self.total}"


class ReviewAssignment(models.Model):
    """The bureau asks one 评审专家 to score one application."""

    class Declaration(models.TextChoices):
        PENDING = "", "未声明"
        NONE = "none", "无利益冲突"
        RECUSED = "recused", "申请回避"

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="申报",
        on_delete=models.CASCADE,
        related_name="review_assignments",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评审专家",
        on_delete=models.PROTECT,
        related_name="review_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="分配人", on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField("分配时间", auto_now_add=True)
    declaration = models.CharField(
        "利益冲突声明", max_length=8, choices=Declaration.choices, blank=True
    )
    declared_at = models.DateTimeField("声明时间", null=True, blank=True)
    #: When this reviewer's sheet for the item was submitted (empty while a draft or reopened):
    #: kept by reviews.scoring beside ScoreSheet.submitted_at, so that the reviewer's list
    #: filters, sorts and counts by where each item stands from this table's own index.
    scored_at = models.DateTimeField("评分提交时间", null=True, blank=True, editable=False)
    #: The smallest "hours before the review deadline" this reviewer was reminded at, for
    #: this item (reviews.deadlines): each reminder goes once; a new deadline clears it.
    reminded_hours = models.PositiveSmallIntegerField(
        "已提醒（截止前小时）", null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "评审分配"
        verbose_name_plural = "评审分配"
        ordering = ["application_id", "reviewer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="one_assignment_per_reviewer"
            )
        ]
        indexes = [
            models.Index(fields=["reviewer", "application"], name="assignment_by_reviewer"),
            # The reviewer's list: what is left to do first (WORKLIST_ORDER), its counts.
            models.Index(
                fields=["reviewer", "declaration", "-scored_at", "-assigned_at", "id"],
                name="assignment_worklist",
            ),
            models.Index(fields=["reviewer", "-assigned_at", "id"], name="assignment_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.reviewer}"

    class Status(models.TextChoices):
        """Where the item stands for its reviewer, in the order the list puts them."""

        PENDING = "pending", "待声明"
        TO_SCORE = "to_score", "待评分"
        SCORED = "scored", "已提交评分"
        RECUSED = "recused", "已回避"

    @classmethod
    def status_q(cls, status: str) -> Q:
        """The assignments in `status` (a ReviewAssignment.Status value)."""
        return {
            cls.Status.PENDING: Q(declaration=cls.Declaration.PENDING),
            cls.Status.TO_SCORE: Q(declaration=cls.Declaration.NONE, scored_at__isnull=True),
            cls.Status.SCORED: Q(declaration=cls.Declaration.NONE, scored_at__isnull=False),
            cls.Status.RECUSED: Q(declaration=cls.Declaration.RECUSED),
        }[status]

    @property
    def status(self) -> str:
        if self.declaration == self.Declaration.RECUSED:
            return self.Status.RECUSED
        if not self.declaration:
            return self.Status.PENDING
        return self.Status.SCORED if self.scored_at else self.Status.TO_SCORE


#: The reviewer's list by default: 待声明, 待评分, 已提交评分 (latest first), 已回避; newest
#: assignment first within each (the index assignment_worklist).
WORKLIST_ORDER = (
    "declaration",
    models.F("scored_at").desc(nulls_first=True),
    "-assigned_at",
    "id",
)


class Score(models.Model):
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ScoringCriterion, on_delete=models.PROTECT)
    points = models.DecimalField("得分", max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = "得分"
        verbose_name_plural = "得分"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"


def _private_storage():
    return storages["private"]


def _scan_path(scan, filename: str) -> str:
    # The stored name says nothing a URL could guess; the type comes from the content.
    return f"scans/{scan.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{scan.extension}"


class StampedScanQuerySet(models.QuerySet):
    def for_model(self, model):
        """Scans of items of `model` (Application or Assessment); latest first by default."""
        return self.filter(content_type=ContentType.objects.get_for_model(model))


class StampedScan(models.Model):
    """The stamped, signed scan of a printed form, or of the recommender's opinion."""

    class Kind(models.TextChoices):
        APPLICANT = "applicant", "申报单位盖章扫描件"
        RECOMMENDER = "recommender", "推荐单位盖章意见扫描件"

    MEDIA_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    file = models.FileField("文件", storage=_private_storage, upload_to=_scan_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    media_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="上传机构", on_delete=models.PROTECT, null=True
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    expected_fingerprint = models.CharField("提交版本校验码", max_length=14)
    found_fingerprint = models.CharField("扫描件上的校验码", max_length=14, blank=True)
    matches = models.BooleanField("与提交版本一致", null=True)

    objects = StampedScanQuerySet.as_manager()

    class Meta:
        verbose_name = "盖章扫描件"
        verbose_name_plural = "盖章扫描件"
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    @property
    def extension(self) -> str:
        return self.MEDIA_TYPES.get(self.media_type, "")


class Publication(models.Model):
    """The bureau announces a stage of a call's results (公布结果); until then units and
    recommenders do not see its decisions (shanghai_experts.visibility)."""

    class Stage(models.TextChoices):
        SELECTION = "selection", "市级评审结果（列入市级服务团、拟推荐国家级、未入选）"
        NATIONAL = "national", "国家级结果（人社部批准情况）"

    call = models.ForeignKey(
        "shanghai_experts.Call", on_delete=models.PROTECT, related_name="publications"
    )
    stage = models.CharField("公布阶段", max_length=16, choices=Stage.choices)
    published_at = models.DateTimeField("公布时间", auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="公布人", on_delete=models.PROTECT
    )
    items = models.PositiveIntegerField("公布项目数")

    class Meta:
        verbose_name = "结果公布"
        verbose_name_plural = "结果公布"
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.published_at:%Y-%m-%d}"


class Note(models.Model):
    """内部意见: a comment between an item's recommender and the bureau, never shown to the
    unit (shanghai_experts.visibility, aspect "notes"); each one is audited."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填写人", on_delete=models.PROTECT
    )
    organisation = models.ForeignKey(Organisation, verbose_name="单位", on_delete=models.PROTECT)
    text = models.TextField("内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "内部意见"
        verbose_name_plural = "内部意见"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return self.text[:40]


def _rendered_path(rendered, filename: str) -> str:
    return f"pdfs/{rendered.key[:2]}/{rendered.key}.pdf"


class RenderedPdf(models.Model):
    """A rendered 附件1/附件2 PDF, kept so the same form is rendered once, not at every download.

    Keyed by the SHA-256 of the HTML it was rendered from: the same content (and the same
    opinion, state and fingerprint printed on it) is the same key, and WeasyPrint renders the
    same HTML to the same bytes. A draft is never stored: it changes with every save.
    """

    key = models.CharField("内容摘要", max_length=64, unique=True)
    file = models.FileField(upload_to=_rendered_path, storage=_private_storage, max_length=200)
    size = models.PositiveIntegerField("大小")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "已生成的打印表"
        verbose_name_plural = "已生成的打印表"

    def __str__(self) -> str:
        return self.key[:12]


class RecommenderFilingQuerySet(models.QuerySet):
    def with_contact(self):
        """Those whose contact is complete (姓名、电话、手机): `has_contact`, in the database."""
        complete = models.Q()
        for name in RecommenderFiling.CONTACT_FIELDS:
            complete &= ~models.Q(**{name: ""})
        return self.filter(complete)


class RecommenderFiling(models.Model):
    """A recommender's side of the paper trail in a call (函报): the contact person the notice
    asks for (注明联系人姓名、电话、手机), and when the bureau received its written materials."""

    call = models.ForeignKey(
        "shanghai_experts.Call",
        verbose_name="申报批次",
        on_delete=models.CASCADE,
        related_name="filings",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="推荐单位", on_delete=models.PROTECT, related_name="filings"
    )
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    office_phone = models.CharField("电话", max_length=32, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填写人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField("填写时间", auto_now=True)
    paper_received_on = models.DateField("书面材料收到日期", null=True, blank=True)
    paper_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="书面材料登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    #: What the notice asks a recommender to state with its written materials.
    CONTACT_FIELDS = ("contact_name", "office_phone", "mobile")

    objects = RecommenderFilingQuerySet.as_manager()

    class Meta:
        verbose_name = "推荐报送"
        verbose_name_plural = "推荐报送"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"], name="one_filing_per_recommender"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}（{self.call.year}）"

    @property
    def has_contact(self) -> bool:
        return all(getattr(self, name) for name in self.CONTACT_FIELDS)


class DeadlineReminder(models.Model):
    """A reminder sent before a deadline of the call: the ledger that makes each go once.

    One row per (who, what, which deadline, how many days before): a deadline moved by an
    extension is another deadline, reminded of in its turn; the same one never twice.
    """

    class Kind(models.TextChoices):
        UNIT = "unit", "申报单位未提交"
        RECOMMENDER = "recommender", "推荐单位未处理"
        RECTIFICATION = "rectification", "基地整改未提交"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.CASCADE, related_name="+"
    )
    #: The item it is about (a rectifying assessment), or 0 for an organisation's items.
    object_id = models.PositiveBigIntegerField(default=0)
    deadline = models.DateTimeField("截止时间")
    days = models.PositiveSmallIntegerField("提前天数")
    sent_at = models.DateTimeField("发送时间", default=timezone.now)

    class Meta:
        verbose_name = "截止提醒"
        verbose_name_plural = "截止提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organisation", "object_id", "deadline", "days"],
                name="one_reminder_per_deadline_and_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.organisation}（提前 {self.days} 天）"
