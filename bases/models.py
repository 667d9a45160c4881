"""Expert service bases (专家服务基地) and their assessment in a call (附件2)."""

from django.db import models
from django.utils import timezone

from shanghai_experts import items
from shanghai_experts.models import (
    Call,
    ListedRows,
    Organisation,
    PaperReceipt,
    StampedScanStatus,
)
from shanghai_experts.states import State

from . import rules
from .choices import BaseLevel, HostType


class ContactFields(models.Model):
    """The boxes of 附件2 一、基本信息 that the host unit keeps up to date."""

    region = models.CharField("服务的区域", max_length=200, blank=True)
    industry = models.CharField("所属行业领域", max_length=100, blank=True)
    #: 依托单位类型 are checkboxes on the paper form: a 高新技术企业 in an 产业园区 ticks both.
    host_types = models.JSONField("依托单位类型", default=list, blank=True)
    host_type_other = models.CharField("其他依托单位类型", max_length=60, blank=True)
    own_experts = models.PositiveIntegerField(
        "对口联系专家人数·本单位专家（副高及以上职称）", null=True, blank=True
    )
    external_experts = models.PositiveIntegerField(
        "对口联系专家人数·外单位专家（副高及以上职称）", null=True, blank=True
    )
    department = models.CharField("负责部门", max_length=100, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    office_phone = models.CharField("办公电话", max_length=32, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)
    email = models.EmailField("E-mail", blank=True)
    address = models.CharField("通讯地址", max_length=200, blank=True)

    #: Copied from the registry into a new assessment, and shown in the same order.
    CONTACT_FIELDS = (
        "region",
        "industry",
        "host_types",
        "host_type_other",
        "own_experts",
        "external_experts",
        "department",
        "contact_name",
        "office_phone",
        "mobile",
        "email",
        "address",
    )

    class Meta:
        abstract = True


class BaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        org = getattr(user, "organisation", None)
        if org is None:
            return self.none()
        if org.is_bureau:
            return self
        if org.is_unit:
            return self.filter(host_unit=org)
        return self.none()


class Base(ContactFields):
    """A base in the registry the bureau keeps."""

    name = models.CharField("基地名称", max_length=120)
    host_unit = models.ForeignKey(
        Organisation,
        verbose_name="依托单位",
        on_delete=models.PROTECT,
        related_name="bases",
        limit_choices_to={"kind": Organisation.Kind.UNIT},
    )
    level = models.CharField("类别", max_length=16, choices=BaseLevel.choices)
    year_selected = models.PositiveSmallIntegerField("入选年度")
    is_active = models.BooleanField("在册", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后修改", auto_now=True)

    objects = BaseQuerySet.as_manager()

    class Meta:
        verbose_name = "专家服务基地"
        verbose_name_plural = "专家服务基地"
        ordering = ["-year_selected", "level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "host_unit"], name="base_name_once_per_unit")
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentQuerySet(items.ItemQuerySet):
    item_page_related = ("call", "base", "unit", "recommender")


#: The bureau's outcomes, as states of the assessment.
OUTCOME_STATES = frozenset(
    {
        State.COMMENDED,
        State.QUALIFIED,
        State.RECTIFYING,
        State.RECTIFICATION_SUBMITTED,
        State.RECTIFIED,
    }
)


class Assessment(items.KindOfItem, ListedRows, ContactFields, PaperReceipt, StampedScanStatus):
    """附件2 专家服务基地动态管理表: one per base per call, through the shared workflow."""

    call = models.ForeignKey(
        Call, verbose_name="申报批次", on_delete=models.PROTECT, related_name="assessments"
    )
    base = models.ForeignKey(
        Base, verbose_name="基地", on_delete=models.PROTECT, related_name="assessments"
    )
    unit = models.ForeignKey(
        Organisation,
        verbose_name="依托单位",
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    recommender = models.ForeignKey(
        Organisation,
        verbose_name="推荐单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="addressed_assessments",
    )
    state = models.CharField(
        "状态", max_length=24, choices=State.choices, default=State.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    # 二、开展专家服务活动情况
    system_building = models.TextField("1. 开展专家服务的制度建设情况", blank=True)
    flexible_talent = models.TextField(
        "2. 柔性引才机制建立及运行情况",
        blank=True,
        help_text="包括人才引进机制，与高校、科研机构等单位建立的合作机制或平台等。",
    )
    activities = models.TextField(
        "3. 近年来开展专家服务活动情况及成效",
        blank=True,
        help_text="开展专家服务活动次数、领衔专家层次、专家数量、服务地点、服务内容和成效等，"
        "不超过1000字。",
    )
    funding_use = models.TextField("4. 经费使用情况", blank=True)
    three_year_plan = models.TextField(
        "5. 未来三年专家服务工作计划", blank=True, help_text="不超过1000字。"
    )

    # For the 一览表 (附件3): asked of the unit, never cut from items 3 and 5.
    activity_count = models.PositiveIntegerField("近年开展专家服务活动次数", null=True, blank=True)
    list_summary = models.TextField(
        "服务内容简介（一览表，不超过200字）",
        blank=True,
        help_text="写入一览表“服务内容简介”栏；可参考第3项改写。",
    )
    list_goal = models.TextField(
        "服务目标（一览表）",
        blank=True,
        help_text="达成的效果、产生的效益、解决的具体问题等；写入一览表“服务目标”栏，可参考第5项改写。",
    )

    applicant_opinion = models.TextField("单位意见", blank=True)
    recommender_opinion = models.TextField("推荐单位意见", blank=True)
    recommender_opinion_date = models.DateField("推荐单位意见日期", null=True, blank=True)
    #: The recommender's reason of the last 退回修改, shown at the top of the unit's pages.
    return_opinion = models.TextField("退回意见", blank=True)
    #: Never set: assessments are not ranked (the workflow's shared effect looks for it).
    recommender_rank = None

    # 市人社局评估结果
    outcome_opinion = models.TextField("评估意见", blank=True)
    rectify_deadline = models.DateField("整改期限", null=True, blank=True)
    rectification_report = models.TextField("整改报告", blank=True)
    rectification_submitted_at = models.DateTimeField("整改报告提交时间", null=True, blank=True)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后保存", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    item_kind = items.ASSESSMENT
    detail_url_name = "bases:assessment"
    category_label = "服务基地评估"

    class Meta:
        verbose_name = "服务基地评估"
        verbose_name_plural = "服务基地评估（附件2）"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "base"], name="one_assessment_per_base_per_call"
            )
        ]
        indexes = [
            models.Index(fields=["call", "recommender", "state"], name="assessment_queue"),
            models.Index(fields=["unit", "state"], name="assessment_unit_state"),
        ]

    def __str__(self) -> str:
        return f"{self.base.name}（{self.call.year}年评估）" if self.base_id else "服务基地评估"

    @property
    def is_rectification_overdue(self) -> bool:
        return (
            self.state == State.RECTIFYING
            and self.rectify_deadline is not None
            and self.rectify_deadline < timezone.localdate()
        )

    # The workflow's protocol (shanghai_experts.items.WorkflowItem); the rules live in
    # bases.rules.
    def submission_problems(self):
        return rules.submission_problems(self)

    def unit_limit_problem(self):
        return None  # one assessment per base per call, by constraint

    def snapshot(self) -> dict:
        return rules.snapshot(self)

    def form_context(self) -> dict:
        """Beside the item, what its printed form (item_kind.print_template) lists: the
        依托单位类型 to tick."""
        return {"host_types": HostType.choices}

    def change_label(self, key: str) -> str:
        return str(self._meta.get_field(key).verbose_name)
