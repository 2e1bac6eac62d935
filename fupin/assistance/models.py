"""Assistance (精选路子 / 精准帮扶): helper units and helpers, pairing, help plans, visits.

Rules the database holds: one active pairing per household (四定: a fixed helper), a
pairing ends on or after it starts and is never deleted (history); money in Decimal yuan
with two places; one plan per household; one settings row per county.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0")}

# A county without its own AssistanceSettings row uses these.
DEFAULT_LOAD_CAP = 5
DEFAULT_VISIT_INTERVAL_DAYS = 60


class UnitKind(models.TextChoices):
    PARTY_GOVERNMENT = "party_government", _("党政机关")
    INSTITUTION = "institution", _("事业单位")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    PRIVATE_ENTERPRISE = "private_enterprise", _("民营企业")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    OTHER = "other", _("其他")


class HelperUnit(models.Model):
    """A unit that sends helpers (定点帮扶单位) to a region."""

    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(
        _("单位类型"), max_length=20, choices=UnitKind.choices, default=UnitKind.PARTY_GOVERNMENT
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("帮扶区域"),
        help_text=_("单位定点帮扶的县、乡或村"),
    )
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("单位地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("帮扶单位")
        verbose_name_plural = _("帮扶单位")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="helper_unit_unique_name_in_region")
        ]

    def __str__(self) -> str:
        return self.name


class HelperKind(models.TextChoices):
    CADRE = "cadre", _("结对帮扶干部")
    WORK_TEAM = "work_team", _("驻村工作队员")
    TEAM_LEADER = "team_leader", _("驻村工作队长")
    FIRST_SECRETARY = "first_secretary", _("第一书记")


class Helper(models.Model):
    """A person responsible for households (帮扶责任人), from a unit, working in a region."""

    unit = models.ForeignKey(
        HelperUnit, on_delete=models.PROTECT, related_name="helpers", verbose_name=_("帮扶单位")
    )
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(
        _("帮扶身份"), max_length=20, choices=HelperKind.choices, default=HelperKind.CADRE
    )
    position = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("工作区域"),
        help_text=_("帮扶责任人工作的县、乡或村；结对的户须在此区域内"),
    )
    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="helper_profile",
        verbose_name=_("登录账号"),
    )
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("帮扶责任人")
        verbose_name_plural = _("帮扶责任人")
        ordering = ["region_id", "name"]
        indexes = [models.Index(fields=["region", "name"], name="helper_region_name")]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name", "phone"], name="helper_unique_in_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class Pairing(models.Model):
    """结对帮扶: a household and its responsible helper from one date to another.

    Pairings are never edited away: a change of helper ends the current row and starts
    a new one, so the history of who was responsible when is kept (四定两不).
    """

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="pairings", verbose_name=_("户")
    )
    helper = models.ForeignKey(
        Helper, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("帮扶责任人")
    )
    started_on = models.DateField(_("结对日期"))
    start_reason = models.CharField(_("结对说明"), max_length=200, blank=True)
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("结对经办人")
    )
    ended_on = models.DateField(_("解除日期"), null=True, blank=True)
    end_reason = models.CharField(_("解除原因"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("解除经办人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        ordering = ["household_id", "-started_on", "-id"]
        indexes = [models.Index(fields=["helper", "ended_on"], name="pairing_helper_active")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(ended_on__isnull=True),
                name="pairing_one_active_per_household",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper} — {self.household}"

    @property
    def active(self) -> bool:
        return self.ended_on is None


class AssistanceSettings(models.Model):
    """A county's assistance parameters: how many households one helper may carry, how often to visit."""

    county = models.OneToOneField(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    load_cap = models.PositiveSmallIntegerField(
        _("每名帮扶责任人最多结对户数"),
        default=DEFAULT_LOAD_CAP,
    )
    visit_interval_days = models.PositiveSmallIntegerField(
        _("走访间隔（天）"),
        default=DEFAULT_VISIT_INTERVAL_DAYS,
        help_text=_("超过此天数未走访的户列入逾期名单"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("帮扶参数")
        verbose_name_plural = _("帮扶参数")
        constraints = [
            models.CheckConstraint(condition=models.Q(load_cap__gte=1), name="settings_load_cap_positive"),
            models.CheckConstraint(
                condition=models.Q(visit_interval_days__gte=1), name="settings_visit_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.county)


class MeasureGroup(models.TextChoices):
    INDUSTRY = "industry", _("产业扶持")
    EMPLOYMENT = "employment", _("就业扶持")
    EDUCATION = "education", _("教育扶持")
    HEALTH = "health", _("健康扶贫")
    HOUSING = "housing", _("住房保障")
    SAFETY_NET = "safety_net", _("政策保障兜底")
    ECOLOGY = "ecology", _("生态扶贫")
    FINANCE = "finance", _("金融扶贫")
    OTHER = "other", _("其他")


class MeasureCatalogue(models.Model):
    """The menu of measures a plan chooses from (seed 001 篇1: 《帮扶措施情况表》, “政府主厨，农户点单”)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("措施名称"), max_length=50)
    group = models.CharField(_("类别"), max_length=20, choices=MeasureGroup.choices)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("可选"), default=True)

    class Meta:
        verbose_name = _("帮扶措施目录")
        verbose_name_plural = _("帮扶措施目录")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class PlanClass(models.TextChoices):
    """Seed 001 篇1: 一类 (able to develop: industry, education, employment) and 二类 (政策保障兜底)."""

    DEVELOPMENT = "development", _("发展扶持类（一类）")
    SAFETY_NET = "safety_net", _("政策保障兜底类（二类）")


class HelpPlan(models.Model):
    """A household's help plan (帮扶计划): its class, the way out chosen and the target exit year."""

    household = models.OneToOneField(
        "registry.Household", on_delete=models.CASCADE, related_name="help_plan", verbose_name=_("户")
    )
    plan_class = models.CharField(_("帮扶类别"), max_length=15, choices=PlanClass.choices)
    target_exit_year = models.PositiveSmallIntegerField(_("计划脱贫年度"))
    goals = models.TextField(_("脱贫路子与帮扶目标"), blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("帮扶计划")
        verbose_name_plural = _("帮扶计划")

    def __str__(self) -> str:
        return f"{self.household} {self.get_plan_class_display()}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("实施中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


OPEN_MEASURE_STATUSES = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)


class HelpMeasure(models.Model):
    """One measure of a plan (帮扶措施): what, by when, with how much money, and what came of it."""

    plan = models.ForeignKey(
        HelpPlan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("帮扶计划")
    )
    # Denormalised so summaries by village and township are one index range, without a join.
    village_code = models.CharField(_("行政村代码"), max_length=15)
    catalogue = models.ForeignKey(
        MeasureCatalogue, on_delete=models.PROTECT, related_name="+", verbose_name=_("措施")
    )
    helper = models.ForeignKey(
        Helper,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("责任人"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    content = models.CharField(_("具体内容"), max_length=300)
    deadline = models.DateField(_("完成时限"))
    planned_amount = models.DecimalField(_("计划资金（元）"), **MONEY)
    actual_amount = models.DecimalField(_("落实资金（元）"), **MONEY)
    funding_source = models.CharField(_("资金来源"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=15, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    result = models.TextField(_("帮扶成效"), blank=True)
    income_increase = models.DecimalField(_("带动增收（元）"), **MONEY)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["plan_id", "year", "deadline", "id"]
        indexes = [
            models.Index(fields=["village_code", "year"], name="measure_village_year"),
            models.Index(fields=["helper", "year"], name="measure_helper_year"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_amount__gte=0)
                & models.Q(actual_amount__gte=0)
                & models.Q(income_increase__gte=0),
                name="measure_money_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_on__isnull=False),
                name="measure_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.catalogue.name}：{self.content}"


class VisitKind(models.TextChoices):
    HOME = "home", _("入户走访")
    PHONE = "phone", _("电话回访")
    FESTIVAL = "festival", _("节日慰问")


class Visit(models.Model):
    """走访: a helper at the household, what they found and the guarantees checked on the spot."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="visits", verbose_name=_("户")
    )
    helper = models.ForeignKey(
        Helper, on_delete=models.PROTECT, related_name="visits", verbose_name=_("走访人")
    )
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("走访方式"), max_length=10, choices=VisitKind.choices, default=VisitKind.HOME)
    findings = models.TextField(_("走访情况"))
    problems = models.TextField(_("发现问题及处理"), blank=True)
    # {"food": true, "housing": false, …}: only the items checked on this visit.
    guarantees = models.JSONField(_("两不愁三保障核查"), default=dict, blank=True)
    guarantee_notes = models.JSONField(_("未达标说明"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["household_id", "-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "visited_on"], name="visit_household_date"),
            models.Index(fields=["helper", "visited_on"], name="visit_helper_date"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.helper}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("走访记录")
    )
    image = models.ImageField(_("照片"), upload_to="visits/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["visit_id", "id"]

    def __str__(self) -> str:
        return self.image.name


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class BatchKind(models.TextChoices):
    """What a village batch prints, each household its own PDF in the ZIP."""

    HANDBOOK = "handbook", _("扶贫手册")
    REGISTRATION_FORM = "registration_form", _("贫困户登记表（身份证号遮蔽）")


class HandbookBatch(models.Model):
    """The handbooks (or registration forms) of a whole village, made in the background: progress, then one
    ZIP of PDFs."""

    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政村")
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    kind = models.CharField(
        _("生成内容"), max_length=20, choices=BatchKind.choices, default=BatchKind.HANDBOOK
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = models.PositiveIntegerField(_("总户数"), default=0)
    done = models.PositiveIntegerField(_("已生成户数"), default=0)
    file = models.FileField(_("手册压缩包"), upload_to="handbooks/%Y/%m/", blank=True)
    message = models.TextField(_("说明"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("扶贫手册批量生成")
        verbose_name_plural = _("扶贫手册批量生成")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.village} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return (
            int(100 * self.done / self.total)
            if self.total
            else (100 if self.status == BatchStatus.DONE else 0)
        )

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class MonitoringReport(models.Model):
    """A township's or county's helper monitoring for June or December (seed 000 七(三)), as reported up."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("监测月份"), choices=[(6, _("6月")), (12, _("12月"))])
    totals = models.JSONField(_("合计"), default=dict)
    rows = models.JSONField(_("帮扶责任人明细"), default=list)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("上报人")
    )
    submitted_at = models.DateTimeField(_("上报时间"), auto_now=True)

    class Meta:
        verbose_name = _("帮扶监测报告")
        verbose_name_plural = _("帮扶监测报告")
        ordering = ["-year", "-month", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "month"], name="monitoring_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}年{self.month}月"


class HandbookCode(models.Model):
    """The generation of a household's handbook QR code (assistance.handbook): reprinting the handbook with
    「作废旧二维码」 raises it, and every code printed before answers 已失效 from then on."""

    household = models.OneToOneField(
        "registry.Household",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("户"),
    )
    generation = models.PositiveIntegerField(_("二维码版本"), default=0)
    renewed_at = models.DateTimeField(_("作废旧码时间"), null=True, blank=True)
    renewed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )

    class Meta:
        verbose_name = _("扶贫手册二维码")
        verbose_name_plural = _("扶贫手册二维码")

    def __str__(self) -> str:
        return f"{self.household_id} v{self.generation}"
