"""附件1 — 2026 年专家服务基层示范团项目申报表.

Every box of the paper form is a field here. All fields may stay empty in a draft; only
submission checks completeness (see applications.rules.submission_problems).
"""

from django.db import models
from django.db.models import Q

from shanghai_experts import items, visibility
from shanghai_experts.divisions import divisions
from shanghai_experts.models import (
    Call,
    ListedRows,
    Organisation,
    PaperReceipt,
    StampedScanStatus,
)
from shanghai_experts.states import State

from . import rules
from .choices import (
    CATEGORY_LIST_LABELS,
    Affiliation,
    BaseLevel,
    Category,
    ServiceForm,
    Talent,
    TitleLevel,
)

MONEY = {"max_digits": 8, "decimal_places": 2, "null": True, "blank": True}


class ApplicationQuerySet(items.ItemQuerySet):
    item_page_related = ("call", "unit", "unit__district", "recommender")

    def for_list(self) -> "ApplicationQuerySet":
        return self.select_related("call", "unit", "recommender")


class Application(items.KindOfItem, ListedRows, PaperReceipt, StampedScanStatus):
    call = models.ForeignKey(
        Call, verbose_name="申报批次", on_delete=models.PROTECT, related_name="applications"
    )
    unit = models.ForeignKey(
        Organisation,
        verbose_name="申报单位",
        on_delete=models.PROTECT,
        related_name="applications",
        limit_choices_to={"kind": Organisation.Kind.UNIT},
    )
    state = models.CharField(
        "状态", max_length=24, choices=State.choices, default=State.DRAFT, db_index=True
    )
    #: The bureau's decision as last announced (公布结果); until then units and recommenders
    #: see the item as 已推荐至市人社局, whatever the bureau has decided (shanghai_experts.visibility).
    published_state = models.CharField(
        "已公布的结果", max_length=24, choices=State.choices, blank=True
    )
    recommender = models.ForeignKey(
        Organisation,
        verbose_name="推荐单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="addressed_applications",
    )
    creation_token = models.UUIDField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    # 一、基本信息
    name = models.CharField("服务团名称", max_length=100, blank=True)
    category = models.CharField("申报类别", max_length=16, choices=Category.choices, blank=True)
    relies_on_base = models.BooleanField("是否依托专家服务基地", null=True, blank=True)
    base_level = models.CharField("基地级别", max_length=16, choices=BaseLevel.choices, blank=True)
    base_name = models.CharField("基地名称", max_length=100, blank=True)
    base = models.ForeignKey(
        "bases.Base",
        verbose_name="登记的专家服务基地",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
        help_text="从本单位登记的专家服务基地中选择；未登记的基地可直接填写名称。",
    )
    expert_count = models.PositiveIntegerField("参与服务专家人数", null=True, blank=True)
    service_count = models.PositiveIntegerField("服务次数", null=True, blank=True)
    service_days = models.DecimalField(
        "累计服务时长（天）", max_digits=5, decimal_places=1, null=True, blank=True
    )
    start_date = models.DateField("开始时间", null=True, blank=True)
    end_date = models.DateField("结束时间", null=True, blank=True)
    service_field = models.CharField("服务领域", max_length=100, blank=True)
    department = models.CharField("负责部门", max_length=100, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    office_phone = models.CharField("办公电话", max_length=32, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)
    email = models.CharField("E-mail", max_length=254, blank=True)

    # 对口帮扶情况（可多选）
    cross_key = models.BooleanField("跨省帮扶·国家乡村振兴重点帮扶县", default=False)
    cross_key_counties = models.CharField("跨省帮扶·重点帮扶县名称", max_length=300, blank=True)
    cross_other = models.BooleanField("跨省帮扶·非国家乡村振兴重点帮扶县", default=False)
    cross_other_counties = models.CharField("跨省帮扶·非重点县名称", max_length=300, blank=True)
    local_key = models.BooleanField("省内帮扶·国家乡村振兴重点帮扶县", default=False)
    local_key_counties = models.CharField("省内帮扶·重点帮扶县名称", max_length=300, blank=True)
    local_other = models.BooleanField("省内帮扶·非国家乡村振兴重点帮扶县", default=False)
    local_other_counties = models.CharField("省内帮扶·非重点县名称", max_length=300, blank=True)
    #: The GB/T 2260 codes of the counties the four boxes above name, by box (cross_key: […]),
    #: found in the national divisions on each save; a name the list lacks has none.
    support_county_codes = models.JSONField(
        "对口帮扶县代码", default=dict, blank=True, editable=False
    )

    # 拟采取的服务形式（可多选）
    service_forms = models.JSONField("拟采取的服务形式", default=list, blank=True)
    service_form_other = models.CharField("其他服务形式", max_length=100, blank=True)
    service_content = models.TextField(
        "拟开展的服务内容（服务内容、组织形式等，不超过1000字）", blank=True
    )

    # 二、经费保障（万元）
    budget_total = models.DecimalField("项目经费预算金额（万元）", **MONEY)
    requested_amount = models.DecimalField("申请资助经费（万元）", **MONEY)

    # 一览表（附件3）所需
    summary = models.TextField("服务内容简介（不超过200字）", blank=True)
    service_goal = models.TextField(
        "服务目标（达成的效果、产生的效益、解决的具体问题等）", blank=True
    )
    professional_field = models.CharField("专业领域", max_length=100, blank=True)

    # 意见
    applicant_opinion = models.TextField("申报单位意见", blank=True)
    recommender_opinion = models.TextField("推荐单位意见", blank=True)
    recommender_opinion_date = models.DateField("推荐单位意见日期", null=True, blank=True)
    #: The recommender's reason of the last 退回修改, shown at the top of the unit's pages.
    return_opinion = models.TextField("退回意见", blank=True)

    # 推荐与评审
    recommender_rank = models.PositiveSmallIntegerField("推荐排序", null=True, blank=True)
    #: The bureau's order of its national candidates (the national recommendation list).
    bureau_rank = models.PositiveSmallIntegerField(
        "市人社局推荐国家级排序", null=True, blank=True, editable=False
    )
    funding_granted = models.DecimalField("资助经费（万元）", **MONEY)
    # Kept by reviews.scoring.record_scores from the score sheets, so the list can sort by them.
    score_mean = models.DecimalField(
        "评审均分", max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    score_spread = models.DecimalField(
        "评分极差", max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    score_count = models.PositiveSmallIntegerField("评审人数", default=0, editable=False)
    # The first 领衔专家 as submitted, kept by the workflow at each submission
    # (record_leader), so the bureau's list shows it without reading the roster.
    leader_title_level = models.CharField(
        "领衔专家职称级别", max_length=16, choices=TitleLevel.choices, blank=True, editable=False
    )
    leader_talents = models.JSONField("领衔专家人才计划", default=list, blank=True, editable=False)
    bureau_support = models.DecimalField("市人社局配套支持（万元）", **MONEY)
    # 人社部批准: the Ministry's document, recorded by the workflow (record_mohrss_approval).
    mohrss_document_number = models.CharField(
        "人社部批准文号", max_length=40, blank=True, editable=False
    )
    mohrss_approved_on = models.DateField("人社部批准日期", null=True, blank=True, editable=False)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后保存", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "服务团申报"
        verbose_name_plural = "服务团申报（附件1）"
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(
                # Exactly the queue's ORDER BY, so a page is read off the index in order.
                fields=["call", "recommender", "recommender_rank", "-submitted_at", "id"],
                name="application_queue_order",
            ),
            # Covers the list's count and the bureau's per-recommender summary without
            # reading the wide rows (their long texts) at all.
            models.Index(
                fields=["call", "state", "recommender", "category"],
                name="application_call_state",
            ),
            # 提交时间（新→旧）: the recommender's queue and the bureau's list, read in order.
            models.Index(
                fields=["call", "recommender", "-submitted_at", "id"],
                name="application_queue_submitted",
            ),
            models.Index(fields=["call", "-submitted_at", "id"], name="application_call_submitted"),
            # A unit's own items in a call: its home page and the per-unit limit.
            models.Index(fields=["unit", "call", "state"], name="application_unit_call"),
            # The bureau's sort by 名称 with its tie-breaker; the sorts by 评审均分 and 评分极差
            # (unscored last: NULLS LAST, which SQLite cannot index) are PostgreSQL indexes
            # of migration 0013_sort_indexes.
            models.Index(fields=["call", "name", "id"], name="application_call_name"),
            # Filters that can match few items: the planner reads these instead of walking
            # the whole call in the page's order (a recommender's 已公布 results, the
            # bureau's 书面材料 已收到).
            models.Index(fields=["call", "published_state"], name="application_call_published"),
            models.Index(fields=["call", "paper_received_on"], name="application_call_paper"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "creation_token"],
                condition=Q(creation_token__isnull=False),
                name="application_creation_token_once",
            ),
            models.CheckConstraint(
                condition=Q(budget_total__isnull=True) | Q(budget_total__gte=0),
                name="application_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__isnull=True) | Q(requested_amount__gte=0),
                name="application_request_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(funding_granted__isnull=True) | Q(funding_granted__gte=0),
                name="application_funding_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(bureau_support__isnull=True) | Q(bureau_support__gte=0),
                name="application_support_not_negative",
            ),
            models.UniqueConstraint(
                fields=["call", "recommender", "recommender_rank"],
                condition=Q(recommender_rank__isnull=False),
                name="application_rank_unique_per_recommender",
                violation_error_message="同一推荐单位的排序不能重复。",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"未命名申报（{self.reference}）"

    def save(self, *args, **kwargs):
        self.match_support_counties()
        super().save(*args, **kwargs)

    #: The four 对口帮扶 boxes, each with its county names (BOX_counties).
    SUPPORT_BOXES = ("cross_key", "cross_other", "local_key", "local_other")

    def match_support_counties(self) -> None:
        """Find the counties the 对口帮扶 boxes name in the national divisions (not saved)."""
        places = divisions()
        codes = {}
        for box in self.SUPPORT_BOXES:
            found, _unmatched = places.match_counties(getattr(self, f"{box}_counties"))
            if found:
                codes[box] = found
        self.support_county_codes = codes

    item_kind = items.APPLICATION
    detail_url_name = "applications:detail"

    @property
    def category_label(self) -> str:
        """类别 as the 一览表 prints it: 国家级服务团 or 市级服务团."""
        return CATEGORY_LIST_LABELS.get(self.category, "")

    # The workflow's protocol (shanghai_experts.items.WorkflowItem); the rules live in
    # applications.rules.
    def submission_problems(self):
        return rules.submission_problems(self)

    def unit_limit_problem(self):
        return rules.unit_limit_problem(self)

    def snapshot(self) -> dict:
        return rules.snapshot(self)

    def form_context(self) -> dict:
        """Beside the item, what its printed form (item_kind.print_template) and its
        confirmation page list: its rows, and the 服务形式 to tick (no rows for a blank form)."""
        saved = self.pk is not None
        places = list(self.places.all()) if saved else []
        return {
            "experts": list(self.experts.all()) if saved else [],
            "places": places,
            "place_counts": self.place_counts(places),
            "budget_items": list(self.budget_items.all()) if saved else [],
            "funding_sources": list(self.funding_sources.all()) if saved else [],
            "service_form_choices": ServiceForm.choices,
        }

    def record_leader(self) -> None:
        """Copy the first 领衔专家's title level and honours onto the item (not saved)."""
        leader = self.experts.filter(is_leader=True).order_by("position", "id").first()
        self.leader_title_level = leader.title_level if leader else ""
        self.leader_talents = list(leader.talents or []) if leader else []

    def change_label(self, key: str) -> str:
        return rules.section_label(self, key)

    def mohrss_approval_for(self, organisation) -> str:
        """人社部批准's 文号 and date as `organisation` may read them: the bureau as soon as
        they are recorded, a unit or recommender once the national result is published."""
        if not self.mohrss_document_number:
            return ""
        if visibility.shown_state(self, organisation) != State.NATIONAL_TEAM:
            return ""
        return (
            f"{self.mohrss_document_number}（{self.mohrss_approved_on.year}年"
            f"{self.mohrss_approved_on.month}月{self.mohrss_approved_on.day}日批准）"
        )

    # Derived from the list of places: never typed twice.
    def place_counts(self, places=None) -> tuple[int, int]:
        """(地市, 区县) covered: a place picked from the list counts by its code (云南 and 云南省
        are one province), a typed one by its name."""
        places = list(self.places.all()) if places is None else places
        cities = {
            p.city_code or (p.province_code or p.province.strip(), p.city.strip())
            for p in places
            if p.city_code or p.city.strip()
        }
        counties = {
            p.county_code
            or (
                p.province_code or p.province.strip(),
                p.city_code or p.city.strip(),
                p.county.strip(),
            )
            for p in places
            if p.county_code or p.county.strip()
        }
        return len(cities), len(counties)


class ServicePlace(models.Model):
    """活动地点: one province / city / county; the 地市 and 区县 counts come from these."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="places")
    # Each level is picked from the national divisions (shanghai_experts.divisions) and its
    # GB/T 2260 code kept; the name beside it is the list's, written on save. A place the list
    # lacks keeps its typed name with no code.
    province_code = models.CharField("省（自治区、直辖市）代码", max_length=6, blank=True)
    city_code = models.CharField("地市代码", max_length=6, blank=True)
    county_code = models.CharField("区县代码", max_length=6, blank=True)
    province = models.CharField("省（自治区、直辖市）", max_length=30, blank=True)
    city = models.CharField("地市", max_length=30, blank=True)
    county = models.CharField("区县", max_length=30, blank=True)
    is_key_county = models.BooleanField("国家乡村振兴重点帮扶县", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "活动地点"
        verbose_name_plural = "活动地点"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        # 上海市 is both province and city: print it once; 省直辖县级行政区划 is no place.
        skip = self.city == self.province or self.city_code[2:4] == "90"
        city = "" if skip else self.city
        return "".join(part for part in (self.province, city, self.county) if part)

    def save(self, *args, **kwargs):
        self.codes_from_names()
        self.name_from_codes()
        super().save(*args, **kwargs)

    def codes_from_names(self) -> None:
        """A place saved with names only (an import, a script, a fixture) takes the codes of the
        names the list has, as the form does, so it counts as one with a place picked from the
        list (云南 and 云南省 are one province). A place with any code was picked: left alone."""
        if self.province_code or self.city_code or self.county_code:
            return
        codes = divisions().match_place(self.province, self.city, self.county)
        self.province_code, self.city_code, self.county_code = codes

    def name_from_codes(self) -> None:
        """Each level picked from the list takes the list's name (not saved)."""
        places = divisions()
        province = places.province(self.province_code)
        city = places.city(self.city_code, self.province_code)
        county = places.county(self.county_code, self.city_code)
        self.province = province.name if province else self.province
        self.city = city.name if city else self.city
        self.county = county.name if county else self.county


class ServiceFieldOption(models.Model):
    """One 服务领域 the call offers (edited in the admin); the form lists them as suggestions
    and a unit may still write its own (其他)."""

    call = models.ForeignKey(
        Call, verbose_name="申报批次", on_delete=models.CASCADE, related_name="service_fields"
    )
    name = models.CharField("服务领域", max_length=100)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "服务领域选项"
        verbose_name_plural = "服务领域选项"
        ordering = ["call", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="service_field_once_per_call")
        ]

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    """One expert of the roster behind 参与服务专家人数."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="experts")
    name = models.CharField("姓名", max_length=50, blank=True)
    work_unit = models.CharField("工作单位", max_length=100, blank=True)
    affiliation = models.CharField(
        "本单位/外单位", max_length=10, choices=Affiliation.choices, blank=True
    )
    title = models.CharField("职称", max_length=50, blank=True)
    title_level = models.CharField(
        "职称级别", max_length=16, choices=TitleLevel.choices, blank=True
    )
    talents = models.JSONField("人才计划与荣誉", default=list, blank=True)
    talent_other = models.CharField("其他人才计划或荣誉", max_length=100, blank=True)
    specialty = models.CharField("专业特长", max_length=100, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)
    is_leader = models.BooleanField("领衔专家", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "服务专家"
        verbose_name_plural = "服务专家"
        ordering = ["-is_leader", "position", "id"]

    def __str__(self) -> str:
        return self.name

    def talent_labels(self) -> list[str]:
        labels = dict(Talent.choices)
        out = []
        for value in self.talents or []:
            if value == Talent.OTHER:
                if self.talent_other:
                    out.append(self.talent_other)
            elif value in labels:
                out.append(labels[value])
        return out

    @property
    def has_special_allowance(self) -> bool:
        return Talent.SPECIAL_ALLOWANCE in (self.talents or [])


class BudgetItem(models.Model):
    """预算明细: one item of the budget with its amount."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_items"
    )
    item = models.CharField("预算科目", max_length=100, blank=True)
    amount = models.DecimalField("金额（万元）", **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "预算明细"
        verbose_name_plural = "预算明细"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.item}：{self.amount} 万元"


class FundingSource(models.Model):
    """经费来源: where the money comes from, with its amount."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="funding_sources"
    )
    source = models.CharField("经费来源", max_length=100, blank=True)
    amount = models.DecimalField("金额（万元）", **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "经费来源"
        verbose_name_plural = "经费来源"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.source}：{self.amount} 万元"
