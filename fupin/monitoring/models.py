"""Monitoring and verification (防返贫监测、回头看、比对、问题台账).

Thresholds per year and region; risk signals computed from the registry (each names the
record that triggered it); monitored households moving through an explicit stage machine;
look-back campaigns with the 两不愁三保障 + drinking-water checklist; cross-checks of
department lists and the findings they raise; and the problem ledger with close-out by
the level above the one that rectifies.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.regions.models import RegionLevel

MONEY = {"max_digits": 12, "decimal_places": 2}


# ---------------------------------------------------------------- thresholds and signals


class MonitoringThreshold(models.Model):
    """The monitoring line of a year; region_prefix "" is national, a longer prefix overrides it
    below that region (the most specific prefix wins; a year without rows uses the latest earlier year)."""

    region_prefix = models.CharField(_("适用区划代码"), max_length=12, blank=True, default="")
    year = models.PositiveSmallIntegerField(_("年度"))
    threshold = models.DecimalField(_("监测线（年人均纯收入，元）"), **MONEY)
    unregistered_line = models.DecimalField(_("档外人口排查线（元）"), **MONEY)
    income_drop_percent = models.PositiveSmallIntegerField(_("收入大幅下降（%）"), default=30)
    large_expense = models.DecimalField(_("大额支出（元）"), default=10000, **MONEY)
    requires_village_appraisal = models.BooleanField(_("监测户识别须村民主评议"), default=True)
    requires_township_review = models.BooleanField(_("监测户识别须乡镇审核"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("监测线")
        verbose_name_plural = _("监测线")
        ordering = ["-year", "region_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["region_prefix", "year"], name="threshold_one_per_region_year"),
            models.CheckConstraint(
                condition=models.Q(threshold__gt=0) & models.Q(unregistered_line__gt=0),
                name="threshold_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(income_drop_percent__gte=1) & models.Q(income_drop_percent__lte=100),
                name="threshold_drop_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_prefix or '全国'} {self.threshold}"


class SignalKind(models.TextChoices):
    LOW_INCOME = "low_income", _("人均纯收入低于监测线")
    INCOME_DROP = "income_drop", _("收入大幅下降")
    LARGE_MEDICAL = "large_medical", _("大额医疗支出")
    LARGE_EDUCATION = "large_education", _("大额教育支出")
    DISASTER = "disaster", _("遭受灾害")
    NEW_ILLNESS = "new_illness", _("新增大病或残疾")
    LABOUR_LOSS = "labour_loss", _("劳动力丧失")
    GUARANTEE_UNMET = "guarantee_unmet", _("两不愁三保障未达标")


class SignalState(models.TextChoices):
    OPEN = "open", _("待研判")
    TAKEN = "taken", _("已纳入识别")
    DISMISSED = "dismissed", _("已排除")


class RiskEvent(models.Model):
    """Something that happened to a household (a hospital bill, a flood, a school fee), entered by
    the village: the source record of the expense and disaster signals."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", _("医疗支出")
        EDUCATION = "education", _("教育支出")
        DISASTER = "disaster", _("自然灾害或意外事故")

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="risk_events", verbose_name=_("户")
    )
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    occurred_on = models.DateField(_("发生日期"))
    amount = models.DecimalField(_("金额或损失（元）"), default=0, **MONEY)
    description = models.CharField(_("情况"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("风险事件")
        verbose_name_plural = _("风险事件")
        ordering = ["-occurred_on"]
        indexes = [models.Index(fields=["occurred_on", "kind"], name="riskevent_date_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class Sweep(models.Model):
    """One run of the rules over a region for a year: risk signals or suspect data."""

    class Kind(models.TextChoices):
        SIGNALS = "signals", _("风险预警")
        SUSPECT = "suspect", _("疑点数据")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    scope_code = models.CharField(_("范围"), max_length=15, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rules_total = models.PositiveSmallIntegerField(_("规则数"), default=0)
    rules_done = models.PositiveSmallIntegerField(_("已完成规则"), default=0)
    results = models.PositiveIntegerField(_("结果数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("规则筛查")
        verbose_name_plural = _("规则筛查")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_kind_display()}筛查"

    @property
    def percent(self) -> int:
        return int(100 * self.rules_done / self.rules_total) if self.rules_total else 0


class RiskSignal(models.Model):
    """One reason to look at a household, naming the record that triggered it.

    Signals are derived rows: only the sweep writes them, selecting the households (and its own Sweep row)
    in the same statement, and the next sweep rewrites them. So their two foreign keys are kept by Django
    (deleting a household through the ORM deletes its signals; deleting a sweep clears the link) rather than
    by database constraints, whose per-row checks were a fifth of a million-household sweep (85,000 signals:
    two trigger calls each at commit).
    """

    # no index of its own: the unique (household, year, kind, …) index starts with it
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        related_name="risk_signals",
        verbose_name=_("户"),
        db_index=False,
        db_constraint=False,
    )
    village_code = models.CharField(_("行政村代码"), max_length=15)
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("预警类别"), max_length=20, choices=SignalKind.choices)
    source_type = models.CharField(_("来源记录"), max_length=20)  # income / guarantee / member / event
    source_id = models.BigIntegerField(_("来源记录编号"))
    source_label = models.CharField(_("来源说明"), max_length=200, blank=True)
    value = models.DecimalField(_("数值"), null=True, blank=True, **MONEY)
    reference = models.DecimalField(_("参照值"), null=True, blank=True, **MONEY)
    state = models.CharField(_("研判"), max_length=10, choices=SignalState.choices, default=SignalState.OPEN)
    # not indexed: nothing reads signals by sweep (a deleted sweep is cleared by a scan, and sweeps are kept)
    sweep = models.ForeignKey(
        Sweep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("风险预警")
        verbose_name_plural = _("风险预警")
        ordering = ["village_code", "household_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year", "kind", "source_type", "source_id"], name="signal_unique_source"
            )
        ]
        indexes = [models.Index(fields=["year", "village_code", "state"], name="signal_year_village_state")]

    def __str__(self) -> str:
        return self.explanation

    @property
    def explanation(self) -> str:
        """What fired and on which record, in one Chinese sentence."""
        v, r, label = self.value, self.reference, self.source_label
        match self.kind:
            case SignalKind.LOW_INCOME:
                return f"{self.year}年人均纯收入 {v} 元，低于监测线 {r} 元（收入记录：{label}）"
            case SignalKind.INCOME_DROP:
                return f"{self.year}年人均纯收入 {v} 元，比上年 {r} 元下降超过规定比例（收入记录：{label}）"
            case SignalKind.LARGE_MEDICAL | SignalKind.LARGE_EDUCATION:
                return f"{label}：{v} 元，达到大额支出标准 {r} 元"
            case SignalKind.DISASTER:
                return f"灾害或意外：{label}（损失 {v} 元）"
            case SignalKind.NEW_ILLNESS:
                return f"成员{label}本年新登记为大病或残疾"
            case SignalKind.LABOUR_LOSS:
                return f"劳动年龄成员{label}丧失劳动能力"
            case SignalKind.GUARANTEE_UNMET:
                return f"{self.year}年两不愁三保障核查未达标：{label}"
        return label


# ---------------------------------------------------------------- monitored households


class MonitoringKind(models.TextChoices):
    UNSTABLE_EXITED = "unstable_exited", _("脱贫不稳定户")
    MARGINAL = "marginal", _("边缘易致贫户")
    SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户")


class MonitoringSource(models.TextChoices):
    HOUSEHOLD_REPORT = "household_report", _("农户自主申报")
    VILLAGE_SURVEY = "village_survey", _("村排查")
    DEPARTMENT_PUSH = "department_push", _("部门筛查预警")
    SWEEP = "sweep", _("系统预警")


class MonitoringStage(models.TextChoices):
    REPORTED = "reported", _("申报／发现")
    APPRAISED = "appraised", _("村民主评议")
    REVIEWED = "reviewed", _("乡镇审核")
    MEASURES = "measures", _("纳入监测、落实帮扶")
    ELIMINATED = "eliminated", _("风险消除")
    REJECTED = "rejected", _("不予纳入")


MONITORING_TRANSITIONS: dict[str, set[str]] = {
    MonitoringStage.REPORTED: {
        MonitoringStage.APPRAISED,
        MonitoringStage.REVIEWED,
        MonitoringStage.MEASURES,
        MonitoringStage.REJECTED,
    },
    MonitoringStage.APPRAISED: {MonitoringStage.REVIEWED, MonitoringStage.MEASURES, MonitoringStage.REJECTED},
    MonitoringStage.REVIEWED: {MonitoringStage.MEASURES, MonitoringStage.REJECTED},
    MonitoringStage.MEASURES: {MonitoringStage.ELIMINATED},
    MonitoringStage.ELIMINATED: set(),
    MonitoringStage.REJECTED: set(),
}
OPEN_MONITORING_STAGES = [
    MonitoringStage.REPORTED,
    MonitoringStage.APPRAISED,
    MonitoringStage.REVIEWED,
    MonitoringStage.MEASURES,
]


class MonitoredHousehold(models.Model):
    """A household's time under monitoring (监测户), from identification to risk elimination."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="monitoring_cases", verbose_name=_("户")
    )
    village_code = models.CharField(_("行政村代码"), max_length=15)
    kind = models.CharField(_("监测对象类别"), max_length=20, choices=MonitoringKind.choices)
    source = models.CharField(_("发现途径"), max_length=20, choices=MonitoringSource.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    stage = models.CharField(
        _("当前环节"), max_length=12, choices=MonitoringStage.choices, default=MonitoringStage.REPORTED
    )
    risk_description = models.TextField(_("风险情况"))
    previous_status = models.CharField(_("纳入前户状态"), max_length=15, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("申报人"),
    )
    reported_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    appraisal_note = models.TextField(_("民主评议情况"), blank=True)
    review_note = models.TextField(_("乡镇审核意见"), blank=True)
    included_at = models.DateTimeField(_("纳入监测时间"), null=True, blank=True)
    elimination_note = models.TextField(_("风险消除情况"), blank=True)
    elimination_evidence = models.FileField(
        _("风险消除佐证"), upload_to="monitoring/elimination/%Y/", blank=True
    )
    eliminated_at = models.DateTimeField(_("风险消除时间"), null=True, blank=True)
    rejection_reason = models.TextField(_("不予纳入理由"), blank=True)

    class Meta:
        verbose_name = _("监测户")
        verbose_name_plural = _("监测户")
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["village_code", "stage"], name="monitored_village_stage")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(stage__in=OPEN_MONITORING_STAGES),
                name="monitored_one_open_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.household_id}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_MONITORING_STAGES


class MonitoringStep(models.Model):
    """Who moved a monitored household to which stage, when, with what note."""

    case = models.ForeignKey(MonitoredHousehold, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField(_("环节"), max_length=12, choices=MonitoringStage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    by_name = models.CharField(_("经办人"), max_length=150)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.by_name}"


class MonitoringMeasure(models.Model):
    """A help measure for a monitored household (产业、就业、兜底、临时救助…)."""

    class Kind(models.TextChoices):
        INDUSTRY = "industry", _("产业帮扶")
        EMPLOYMENT = "employment", _("就业帮扶")
        SOCIAL_SECURITY = "social_security", _("综合保障（低保、特困）")
        TEMPORARY_RELIEF = "temporary_relief", _("临时救助")
        MEDICAL = "medical", _("健康帮扶")
        EDUCATION = "education", _("教育帮扶")
        HOUSING = "housing", _("住房安全")
        OTHER = "other", _("其他")

    case = models.ForeignKey(MonitoredHousehold, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施类别"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("措施内容"), max_length=300)
    responsible = models.CharField(_("责任人"), max_length=50)
    planned_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("落实日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("监测帮扶措施")
        verbose_name_plural = _("监测帮扶措施")
        ordering = ["planned_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description}"


# ---------------------------------------------------------------- look-back campaigns

CHECK_ITEMS = ("income", "food_clothing", "education", "medical", "housing", "water")
CHECK_ITEM_LABELS = {
    "income": _("家庭收入"),
    "food_clothing": _("基本生活（吃穿）"),
    "education": _("义务教育保障"),
    "medical": _("基本医疗保障"),
    "housing": _("住房安全保障"),
    "water": _("饮水安全"),
}


class LookBack(models.Model):
    """A 回头看 campaign over a region and a period."""

    class Status(models.TextChoices):
        OPEN = "open", _("排查中")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    year = models.PositiveSmallIntegerField(_("收入年度"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("截止日期"))
    income_line = models.DecimalField(_("档外人口排查线（元）"), **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="lookback_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class LookBackItem(models.Model):
    """One household's checklist in a campaign; each item met (True), not met (False) or unchecked (None)."""

    class Group(models.TextChoices):
        REGISTERED = "registered", _("建档立卡户")
        MONITORED = "monitored", _("监测户")
        UNREGISTERED = "unregistered", _("档外低收入户")

    campaign = models.ForeignKey(LookBack, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="lookback_items"
    )
    village_code = models.CharField(_("行政村代码"), max_length=15)
    group = models.CharField(_("对象"), max_length=15, choices=Group.choices)
    income = models.BooleanField(_("家庭收入"), null=True)
    food_clothing = models.BooleanField(_("基本生活（吃穿）"), null=True)
    education = models.BooleanField(_("义务教育保障"), null=True)
    medical = models.BooleanField(_("基本医疗保障"), null=True)
    housing = models.BooleanField(_("住房安全保障"), null=True)
    water = models.BooleanField(_("饮水安全"), null=True)
    notes = models.JSONField(_("说明"), default=dict, blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to="lookback/%Y/", blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    checked_on = models.DateField(_("排查日期"), null=True, blank=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        ordering = ["village_code", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="lookback_one_item_per_household")
        ]
        indexes = [models.Index(fields=["campaign", "village_code"], name="lookback_campaign_village")]

    def __str__(self) -> str:
        return str(
            _("排查 %(campaign)s 户 %(household)s")
            % {"campaign": self.campaign_id, "household": self.household_id}
        )

    @property
    def done(self) -> bool:
        return self.checked_on is not None

    @property
    def unmet(self) -> list[str]:
        return [i for i in CHECK_ITEMS if getattr(self, i) is False]


# ---------------------------------------------------------------- cross-checks and findings


class Department(models.TextChoices):
    BUSINESS = "business", _("市场监管（工商登记）")
    TAX = "tax", _("税务（个人所得税）")
    SOCIAL_INSURANCE = "social_insurance", _("人社（社保与外出务工）")
    HOUSING = "housing", _("住建（商品房）")
    VEHICLE = "vehicle", _("公安交警（车辆登记）")
    PUBLIC_EMPLOYEE = "public_employee", _("财政编办（财政供养人员）")
    DEATH = "death", _("公安民政（死亡注销）")
    SCHOOL = "school", _("教育（学籍）")
    MEDICAL = "medical", _("医保（参保与慢性病）")
    DISABILITY = "disability", _("残联（残疾证）")
    REGISTRY = "registry", _("系统内部核查")


class Severity(models.IntegerChoices):
    LOW = 1, _("一般")
    MEDIUM = 2, _("较重")
    HIGH = 3, _("严重")


class CrossCheck(models.Model):
    """An uploaded department list and its run against the registry; the file is kept only until
    `retain_until`."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传，待比对")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("比对中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    department = models.CharField(_("部门"), max_length=20, choices=Department.choices)
    file = models.FileField(_("名单文件"), upload_to="crosschecks/%Y/%m/", blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    columns = models.JSONField(_("列"), default=dict, blank=True)  # role -> header, plus "extra": [headers]
    rows = models.PositiveIntegerField(_("名单行数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    scope_code = models.CharField(_("比对范围"), max_length=15, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    matched_members = models.PositiveIntegerField(_("匹配人数"), default=0)
    # members without a consent in force for the department's data (电子授权书): not matched, counted (issue
    # 17)
    unauthorised_members = models.PositiveIntegerField(_("未授权人数"), default=0)
    findings_count = models.PositiveIntegerField(_("疑点数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发起比对"),
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    retain_until = models.DateField(_("名单保留至"))
    purged_at = models.DateTimeField(_("名单删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门比对")
        verbose_name_plural = _("部门比对")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} {self.original_name}"

    @staticmethod
    def default_retention(today: datetime.date | None = None) -> datetime.date:
        days = settings.FUPIN_CROSSCHECK_RETENTION_DAYS
        return (today or timezone.localdate()) + datetime.timedelta(days=days)


class Decision(models.TextChoices):
    PENDING = "pending", _("待核实")
    EXPLAINED = "explained", _("核实无误，已说明")
    CORRECTED = "corrected", _("已更正户信息")
    EXCLUDED = "excluded", _("清退（不符合条件）")
    RECTIFY = "rectify", _("属实，转整改")


class Finding(models.Model):
    """A suspect record (疑点数据): one member or household and the rule that fired on it.

    Findings arrive in bulk (a department list can raise tens of thousands in one run), written by one
    INSERT … SELECT that reads the households and members it names. Their links to the cross-check, the
    household and the member are kept by Django (deleting any of them through the ORM cascades or clears as
    declared) rather than by database constraints, whose per-row checks at commit took as long as the insert
    itself (the cross-check's alone 0.07-0.09 s of 20,000 findings).
    """

    cross_check = models.ForeignKey(
        CrossCheck,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("比对"),
        db_constraint=False,
    )
    # not indexed, like decided_by: nothing reads findings by sweep or by reviewer (deleting either is rare
    # and clears the link with a scan), and every index costs the bulk insert of a cross-check
    sweep = models.ForeignKey(
        Sweep, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings", db_index=False
    )
    # no index of its own: the (household, rule) index starts with it
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        related_name="findings",
        verbose_name=_("户"),
        db_index=False,
        db_constraint=False,
    )
    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("成员"),
        db_constraint=False,
    )
    village_code = models.CharField(_("行政村代码"), max_length=15)
    department = models.CharField(_("部门"), max_length=20, choices=Department.choices)
    rule = models.CharField(_("规则"), max_length=30)
    severity = models.PositiveSmallIntegerField(_("严重程度"), choices=Severity.choices)
    detail = models.CharField(_("疑点情况"), max_length=500)
    evidence = models.JSONField(_("名单内容"), default=dict, blank=True)
    decision = models.CharField(
        _("核实结论"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decision_note = models.TextField(_("核实说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("疑点")
        verbose_name_plural = _("疑点")
        ordering = ["-severity", "village_code", "household_id", "id"]
        indexes = [
            models.Index(fields=["village_code", "decision"], name="finding_village_decision"),
            models.Index(fields=["household", "rule"], name="finding_household_rule"),
        ]

    def __str__(self) -> str:
        return self.detail

    @property
    def rule_label(self) -> str:
        from .rules import RULE_LABELS  # cycle breaker: the rules read these models

        return str(RULE_LABELS.get(self.rule, self.rule))


# ---------------------------------------------------------------- problem ledger


class ProblemSource(models.TextChoices):
    LOOKBACK = "lookback", _("回头看排查")
    CROSS_CHECK = "cross_check", _("部门比对")
    DATA_CHECK = "data_check", _("疑点数据核查")
    INSPECTION = "inspection", _("督查巡查、考核反馈")
    MANUAL = "manual", _("自查录入")
    DEADLINE = "deadline", _("申报办理超期")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    RECTIFIED = "rectified", _("已整改，待销号")
    CLOSED = "closed", _("已销号")


class Problem(models.Model):
    """One line of the problem ledger (问题台账): found, rectified, closed out by the level above."""

    source = models.CharField(_("问题来源"), max_length=15, choices=ProblemSource.choices)
    region_code = models.CharField(_("所在区划"), max_length=15)
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("户"),
    )
    finding = models.OneToOneField(
        Finding, on_delete=models.SET_NULL, null=True, blank=True, related_name="problem"
    )
    lookback_item = models.ForeignKey(
        LookBackItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="problems"
    )
    check_item = models.CharField(_("排查项目"), max_length=15, blank=True)
    description = models.TextField(_("问题描述"))
    responsible_level = models.PositiveSmallIntegerField(
        _("整改责任层级"), choices=RegionLevel.choices, default=RegionLevel.VILLAGE
    )
    responsible_person = models.CharField(_("整改责任人"), max_length=50, blank=True)
    measure = models.TextField(_("整改措施"), blank=True)
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    rectification = models.TextField(_("整改情况"), blank=True)
    evidence = models.FileField(_("整改佐证"), upload_to="problems/%Y/", blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("销号人"),
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    close_note = models.TextField(_("销号意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题台账")
        ordering = ["status", "deadline", "id"]
        indexes = [models.Index(fields=["region_code", "status", "deadline"], name="problem_region_status")]

    def __str__(self) -> str:
        return self.description[:60]

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.status != ProblemStatus.CLOSED and self.deadline < (today or timezone.localdate())


# ---------------------------------------------------------------- events pushed by departments


class PushedEventKind(models.TextChoices):
    DEATH = "death", _("死亡")
    DISABILITY_CERTIFICATE = "disability_certificate", _("新办残疾证")
    MEDICAL_BILL = "medical_bill", _("大额医疗费用")
    DISASTER_LOSS = "disaster_loss", _("灾害损失")
    VEHICLE = "vehicle", _("车辆登记")
    BUSINESS = "business", _("工商登记")


class PushedMatch(models.TextChoices):
    """How a pushed event found its person (fupin.monitoring.pushed.resolve)."""

    ID_NUMBER = "id_number", _("按身份证号匹配")
    NAME_BIRTH = "name_birth", _("按姓名和出生日期匹配")
    AMBIGUOUS = "ambiguous", _("姓名和出生日期相符者多人，待确认")
    CONFLICT = "conflict", _("身份证号与姓名或出生日期不符，待确认")
    UNMATCHED = "unmatched", _("未匹配")


class DepartmentEvent(models.Model):
    """One event a department pushed (POST /api/v1/department-events/), matched at once as a one-row list: the
    findings it raised hang on `cross_check`, a bill or a loss is kept as `risk_event` (the signals' source,
    raised by
    `sweep`).
    The department's own `event_id` makes a repeated push a no-op."""

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("推送人")
    )
    event_id = models.CharField(_("部门事件编号"), max_length=100)
    kind = models.CharField(_("事件类别"), max_length=25, choices=PushedEventKind.choices)
    scope_code = models.CharField(_("所属县"), max_length=15)
    occurred_on = models.DateField(_("发生日期"))
    matched_members = models.PositiveSmallIntegerField(_("匹配人数"), default=0)
    unauthorised_members = models.PositiveSmallIntegerField(_("未授权人数"), default=0)
    findings_count = models.PositiveSmallIntegerField(_("疑点数"), default=0)
    # "" on events received before name matching; the candidates are the findings of rule
    # pushed.UNRESOLVED_RULE on the event's cross-check, each read within its reader's scope
    match = models.CharField(
        _("匹配方式"), max_length=12, choices=PushedMatch.choices, blank=True, default=""
    )
    candidates_count = models.PositiveSmallIntegerField(_("待确认人数"), default=0)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    cross_check = models.OneToOneField(
        CrossCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="pushed_event"
    )
    risk_event = models.OneToOneField(
        RiskEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="pushed_event"
    )
    # the village's signal sweep a bill or a loss started (the same rules as a county's sweep)
    sweep = models.ForeignKey(Sweep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门推送事件")
        verbose_name_plural = _("部门推送事件")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sent_by", "event_id"], name="department_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_id}"
