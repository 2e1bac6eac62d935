"""The public procedures (DESIGN.md section 4): quotas, batches moving through stages, notices,
objections, announcements; the policy year (poverty line); village records and criteria.

A batch is an explicit state machine: `Batch.stage` takes one of `Stage`'s values and may only
move along `TRANSITIONS`; services.py has one function per move. Nothing here changes state in
save() or by signals.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.registry import codes

MONEY = {"max_digits": 14, "decimal_places": 2}


# ---------------------------------------------------------------- policy and settings


class PolicyYear(models.Model):
    """The poverty line of a year; region_prefix "" is the national line, a province or
    county code prefix overrides it below that region (the most specific prefix wins)."""

    region_prefix = models.CharField(
        _("适用区划代码"),
        max_length=12,
        blank=True,
        default="",
        help_text=_("留空为全国标准；填省、市或县代码则只适用于该区划"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    poverty_line = models.DecimalField(_("扶贫标准（年人均纯收入，元）"), **MONEY)
    monitoring_threshold = models.DecimalField(_("防返贫监测线（元）"), null=True, blank=True, **MONEY)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("年度扶贫标准")
        verbose_name_plural = _("年度扶贫标准")
        ordering = ["-year", "region_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["region_prefix", "year"], name="policyyear_one_per_region_year"),
            models.CheckConstraint(condition=models.Q(poverty_line__gt=0), name="policyyear_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_prefix or '全国'} {self.poverty_line}"


class DayRule(models.TextChoices):
    CALENDAR = "calendar", _("自然日")
    WORKING = "working", _("工作日（不含周末和节假日）")


class ProcedureSettings(models.Model):
    """A county's procedure settings: how long a notice runs, how days are counted, its
    holidays, and the yearly update deadlines (month-day of the following year)."""

    county = models.OneToOneField(
        "regions.Region", on_delete=models.CASCADE, related_name="procedure_settings", verbose_name=_("县")
    )
    notice_days = models.PositiveSmallIntegerField(_("公示天数"), default=7)
    day_rule = models.CharField(
        _("计日方式"), max_length=10, choices=DayRule.choices, default=DayRule.CALENDAR
    )
    holidays = models.JSONField(
        _("法定节假日"), default=list, blank=True, help_text=_("日期列表，如 2025-10-01")
    )
    extra_workdays = models.JSONField(_("调休上班日"), default=list, blank=True)
    survey_deadline = models.CharField(_("收入和保障复核截止（次年月-日）"), max_length=5, default="01-31")
    update_deadline = models.CharField(_("信息更新截止（次年月-日）"), max_length=5, default="02-28")
    supervision_phone = models.CharField(
        _("监督举报电话"),
        max_length=40,
        blank=True,
        help_text=_("印在公示、公告上；不填则印全国扶贫监督举报电话 12317"),
    )

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("程序设置")
        verbose_name_plural = _("程序设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(notice_days__gte=1), name="settings_notice_days_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.county_id}"

    def deadline(self, year: int, which: str) -> datetime.date:
        """The given deadline ("survey" or "update") for the dynamic-management year `year`."""
        month, day = (int(x) for x in getattr(self, f"{which}_deadline").split("-"))
        try:
            return datetime.date(year + 1, month, day)
        except ValueError:  # 02-29 in a common year
            return datetime.date(year + 1, month, 28)


# ---------------------------------------------------------------- quotas and plans


class AllocationBasis(models.TextChoices):
    ESTIMATED_POOR = "estimated_poor", _("测算贫困人口")
    RURAL_INCIDENCE = "rural_incidence", _("农村人口×测算贫困发生率")
    REGISTERED = "registered", _("在册贫困人口")


class Allocation(models.Model):
    """A number of persons set for a region and year, allocated down the tree (规模分解)."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    persons = models.PositiveIntegerField(_("人数"))
    basis = models.CharField(
        _("分解依据"), max_length=20, choices=AllocationBasis.choices, default=AllocationBasis.ESTIMATED_POOR
    )
    weight = models.DecimalField(_("分解权数"), max_digits=16, decimal_places=4, default=Decimal("0"))
    adjusted = models.BooleanField(_("经人工调整"), default=False)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("下达人"),
    )
    set_at = models.DateTimeField(_("下达时间"), auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        abstract = True
        ordering = ["year", "region_id"]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id} {self.persons}"


class Quota(Allocation):
    class Meta(Allocation.Meta):
        verbose_name = _("贫困人口规模")
        verbose_name_plural = _("贫困人口规模")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="quota_one_per_region_year")]


class ReductionPlan(Allocation):
    class Meta(Allocation.Meta):
        verbose_name = _("年度减贫计划")
        verbose_name_plural = _("年度减贫计划")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="plan_one_per_region_year")]


# ---------------------------------------------------------------- villages


class VillageProfile(models.Model):
    """A village's yearly record (贫困村登记表): population, collective income, infrastructure."""

    village = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="profiles", verbose_name=_("行政村")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    is_poor_village = models.BooleanField(_("是否贫困村"), default=False)
    identified_year = models.PositiveSmallIntegerField(_("贫困村识别年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("贫困村出列年度"), null=True, blank=True)
    households = models.PositiveIntegerField(_("总户数"), default=0)
    population = models.PositiveIntegerField(_("总人口"), default=0)
    rural_population = models.PositiveIntegerField(_("农业户籍人口"), default=0)
    estimated_poor = models.PositiveIntegerField(_("测算贫困人口"), default=0)
    estimated_incidence = models.DecimalField(
        _("测算贫困发生率（%）"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    collective_income = models.DecimalField(_("村集体经济收入（元）"), default=Decimal("0"), **MONEY)
    has_hardened_road = models.BooleanField(_("通硬化路"), default=False)
    has_bus = models.BooleanField(_("通客车"), default=False)
    has_safe_water = models.BooleanField(_("饮水安全"), default=False)
    has_electricity = models.BooleanField(_("通动力电"), default=False)
    has_clinic = models.BooleanField(_("有标准化卫生室"), default=False)
    has_broadband = models.BooleanField(_("通宽带"), default=False)
    has_activity_venue = models.BooleanField(_("有综合服务场所"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("村情登记")
        verbose_name_plural = _("村情登记")
        ordering = ["village_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="villageprofile_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(rural_population__lte=models.F("population")) | models.Q(population=0),
                name="villageprofile_rural_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


INFRASTRUCTURE = (
    "has_hardened_road",
    "has_bus",
    "has_safe_water",
    "has_electricity",
    "has_clinic",
    "has_broadband",
    "has_activity_venue",
)


class VillageCriteria(models.Model):
    """The criteria a province sets for identifying a poor village or for its exit (出列).

    For identification the incidence is a minimum, for exit a maximum (e.g. 2 %, 3 % in the west).
    """

    class Kind(models.TextChoices):
        IDENTIFICATION = "identification", _("贫困村识别")
        EXIT = "exit", _("贫困村出列")

    region_prefix = models.CharField(
        _("适用区划代码"),
        max_length=12,
        blank=True,
        default="",
        help_text=_("留空为默认；填省代码则适用于该省"),
    )
    kind = models.CharField(_("类别"), max_length=15, choices=Kind.choices)
    incidence_percent = models.DecimalField(_("贫困发生率（%）"), max_digits=5, decimal_places=2)
    min_collective_income = models.DecimalField(
        _("村集体经济收入不低于（元）"), default=Decimal("0"), **MONEY
    )
    require_hardened_road = models.BooleanField(_("须通硬化路"), default=False)
    require_bus = models.BooleanField(_("须通客车"), default=False)
    require_safe_water = models.BooleanField(_("须饮水安全"), default=False)
    require_electricity = models.BooleanField(_("须通动力电"), default=False)
    require_clinic = models.BooleanField(_("须有标准化卫生室"), default=False)
    require_broadband = models.BooleanField(_("须通宽带"), default=False)
    require_activity_venue = models.BooleanField(_("须有综合服务场所"), default=False)

    class Meta:
        verbose_name = _("贫困村标准")
        verbose_name_plural = _("贫困村标准")
        constraints = [
            models.UniqueConstraint(
                fields=["region_prefix", "kind"], name="villagecriteria_one_per_region_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_prefix or '默认'} {self.get_kind_display()}"


# ---------------------------------------------------------------- batches


class Procedure(models.TextChoices):
    IDENTIFICATION = "identification", _("贫困户识别")
    EXIT = "exit", _("贫困户脱贫")
    RELAPSE = "relapse", _("返贫")
    VILLAGE_IDENTIFICATION = "village_identification", _("贫困村识别")
    VILLAGE_EXIT = "village_exit", _("贫困村出列")


HOUSEHOLD_PROCEDURES = {Procedure.IDENTIFICATION, Procedure.EXIT, Procedure.RELAPSE}
VILLAGE_PROCEDURES = {Procedure.VILLAGE_IDENTIFICATION, Procedure.VILLAGE_EXIT}
ENTRY_PROCEDURES = {Procedure.IDENTIFICATION, Procedure.RELAPSE}


class Stage(models.TextChoices):
    APPLICATION = "application", _("申请")
    SURVEY = "survey", _("调查与初选")
    APPRAISAL = "appraisal", _("民主评议")
    FIRST_NOTICE = "first_notice", _("村级公示")
    TOWNSHIP_REVIEW = "township_review", _("乡镇审核")
    SECOND_NOTICE = "second_notice", _("乡镇公示")
    COUNTY_REVIEW = "county_review", _("县级复审")
    ANNOUNCED = "announced", _("已公告")


STAGE_ORDER = list(Stage)

# The only moves a batch may make: forward one stage, or back from a review with a reason.
TRANSITIONS: dict[str, set[str]] = {
    Stage.APPLICATION: {Stage.SURVEY},
    Stage.SURVEY: {Stage.APPRAISAL},
    Stage.APPRAISAL: {Stage.FIRST_NOTICE},
    Stage.FIRST_NOTICE: {Stage.TOWNSHIP_REVIEW},
    Stage.TOWNSHIP_REVIEW: {Stage.SECOND_NOTICE, Stage.SURVEY},
    Stage.SECOND_NOTICE: {Stage.COUNTY_REVIEW},
    Stage.COUNTY_REVIEW: {Stage.ANNOUNCED, Stage.TOWNSHIP_REVIEW},
    Stage.ANNOUNCED: set(),
}

# Stage labels that read better for exit batches (the seeds' 到户调查、拟定名单).
EXIT_STAGE_LABELS = {Stage.APPLICATION: _("入户核实、拟定名单"), Stage.SURVEY: _("收入与保障核验")}


class Batch(models.Model):
    """One procedure for one village in one year (a second round only once the first is announced)."""

    kind = models.CharField(_("程序"), max_length=25, choices=Procedure.choices)
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="batches", verbose_name=_("行政村")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    round = models.PositiveSmallIntegerField(_("批次"), default=1)
    stage = models.CharField(_("当前环节"), max_length=20, choices=Stage.choices, default=Stage.APPLICATION)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("发起人"),
    )
    opened_at = models.DateTimeField(_("发起时间"))
    stage_since = models.DateTimeField(_("进入当前环节时间"))
    announced_at = models.DateTimeField(_("公告时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("程序批次")
        verbose_name_plural = _("程序批次")
        ordering = ["-year", "village_id", "kind", "round"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "village", "year", "round"], name="batch_unique_round")
        ]
        indexes = [
            models.Index(fields=["year", "kind", "stage"], name="batch_year_kind_stage"),
            models.Index(fields=["village", "year"], name="batch_village_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.village.name if self.village_id else ''}{self.get_kind_display()}"

    @property
    def is_village_procedure(self) -> bool:
        return self.kind in VILLAGE_PROCEDURES

    @property
    def is_entry(self) -> bool:
        return self.kind in ENTRY_PROCEDURES

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.ANNOUNCED

    def stage_label(self, stage: str | None = None) -> str:
        stage = stage or self.stage
        if self.kind == Procedure.EXIT and stage in EXIT_STAGE_LABELS:
            return str(EXIT_STAGE_LABELS[stage])
        return str(Stage(stage).label)

    def stages(self) -> list[dict]:
        """Every stage with its label and whether it is done, current or to come."""
        current = STAGE_ORDER.index(Stage(self.stage))
        return [
            {
                "value": s.value,
                "label": self.stage_label(s),
                "state": "done" if i < current else "current" if i == current else "todo",
            }
            for i, s in enumerate(STAGE_ORDER)
        ]


class EntryState(models.TextChoices):
    """Where a household stands in its batch."""

    PROPOSED = "proposed", _("已申请/拟定")
    SELECTED = "selected", _("入围")
    NOT_SELECTED = "not_selected", _("未入围")
    WITHDRAWN = "withdrawn", _("异议成立，移出")
    RETURNED = "returned", _("退回核实")
    CONFIRMED = "confirmed", _("已公告")


class RankingException(models.TextChoices):
    """A documented reason to select a household out of income order at the survey (DESIGN.md section 4, step
    3)."""

    HOUSING = "housing", _("住房困难")
    EDUCATION = "education", _("因学负担")
    HEALTH = "health", _("因病因残")


class BatchHousehold(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="entries", verbose_name=_("批次"))
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="procedure_entries", verbose_name=_("户")
    )
    state = models.CharField(
        _("状态"), max_length=15, choices=EntryState.choices, default=EntryState.PROPOSED
    )
    previous_status = models.CharField(
        _("原户状态"), max_length=15, choices=codes.HouseholdStatus.choices, blank=True
    )
    persons = models.PositiveSmallIntegerField(_("人数"), default=0)
    per_capita_net_income = models.DecimalField(
        _("年人均纯收入"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    rank = models.PositiveIntegerField(_("收入排序"), null=True, blank=True)
    exception = models.CharField(_("例外情形"), max_length=10, choices=RankingException.choices, blank=True)
    exception_note = models.CharField(_("例外说明"), max_length=300, blank=True)
    proposed_type = models.CharField(
        _("拟定贫困户属性"), max_length=15, choices=codes.HouseholdType.choices, blank=True
    )
    primary_cause = models.CharField(
        _("主要致贫（返贫）原因"), max_length=20, choices=codes.PovertyCause.choices, blank=True
    )
    other_causes = models.JSONField(_("其他致贫原因"), default=list, blank=True)
    guarantees_met = models.BooleanField(_("两不愁三保障均达标"), null=True, blank=True)
    helper_confirmed_by = models.CharField(_("帮扶责任人确认"), max_length=50, blank=True)
    helper_confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("赞成票"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对票"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("批次中的户")
        verbose_name_plural = _("批次中的户")
        ordering = ["batch_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "household"], name="batchhousehold_once_per_batch")
        ]
        indexes = [models.Index(fields=["household", "batch"], name="bh_household")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.household_id}"

    @property
    def is_active(self) -> bool:
        return self.state in (EntryState.PROPOSED, EntryState.SELECTED, EntryState.CONFIRMED)


class Application(models.Model):
    """A household's application (or the village's proposal) to enter the registry."""

    class Source(models.TextChoices):
        SELF = "self", _("农户自愿申请")
        VILLAGE = "village", _("村两委/工作队提名")
        LOOK_BACK = "look_back", _("回头看排查")

    entry = models.OneToOneField(
        BatchHousehold, on_delete=models.CASCADE, related_name="application", verbose_name=_("批次中的户")
    )
    applied_on = models.DateField(_("申请日期"))
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.SELF)
    statement = models.TextField(_("申请理由"), blank=True)
    form = models.FileField(_("申请书"), upload_to="procedures/applications/%Y/", blank=True)

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.applied_on}"


class Appraisal(models.Model):
    """The villagers' representative meeting's vote on the initial list (民主评议)."""

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="appraisals", verbose_name=_("批次")
    )
    held_on = models.DateField(_("会议日期"))
    representatives = models.PositiveIntegerField(_("应到代表"))
    present = models.PositiveIntegerField(_("实到代表"))
    chaired_by = models.CharField(_("主持人"), max_length=50, blank=True)
    votes_for = models.PositiveIntegerField(_("赞成票（村级程序）"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对票（村级程序）"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("民主评议")
        verbose_name_plural = _("民主评议")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(present__lte=models.F("representatives")),
                name="appraisal_present_le_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.held_on}"


class StageRecord(models.Model):
    """Who did what to a batch, when, with which opinion and evidence."""

    class Action(models.TextChoices):
        OPEN = "open", _("发起")
        COMPLETE = "complete", _("完成")
        POST_NOTICE = "post_notice", _("张贴公示")
        NOTICE_PHOTO = "notice_photo", _("上传张贴照片")
        END_NOTICE = "end_notice", _("公示期满")
        APPROVE = "approve", _("审核通过")
        SEND_BACK = "send_back", _("退回")
        RETURN_HOUSEHOLD = "return_household", _("退回单户")
        ANNOUNCE = "announce", _("公告")

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="records", verbose_name=_("批次"))
    stage = models.CharField(_("环节"), max_length=20, choices=Stage.choices)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    by_name = models.CharField(_("经办人姓名"), max_length=150)
    at = models.DateTimeField(_("时间"))
    opinion = models.TextField(_("意见/说明"), blank=True)

    class Meta:
        verbose_name = _("环节记录")
        verbose_name_plural = _("环节记录")
        ordering = ["batch_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_action_display()}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        MINUTES = "minutes", _("会议记录")
        NOTICE_PHOTO = "notice_photo", _("公示张贴照片")
        REVIEW = "review", _("审核材料")
        OTHER = "other", _("其他")

    record = models.ForeignKey(
        StageRecord, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("环节记录")
    )
    kind = models.CharField(_("类别"), max_length=15, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="procedures/evidence/%Y/%m/")
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.file.name


class NoticeKind(models.TextChoices):
    VILLAGE = "village", _("村级公示")
    TOWNSHIP = "township", _("乡镇公示")
    ANNOUNCEMENT = "announcement", _("公告")


class Notice(models.Model):
    """A posted notice or announcement. `entries` is the list as posted, personal data already
    masked, so the public page shows exactly what was posted and never a full ID number."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="notices", verbose_name=_("批次"))
    kind = models.CharField(_("类别"), max_length=15, choices=NoticeKind.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("公示地点")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    entries = models.JSONField(_("名单"), default=list)
    issuer = models.CharField(_("发布单位"), max_length=100)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("张贴时间"))
    ends_at = models.DateTimeField(_("公示截止"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示公告")
        verbose_name_plural = _("公示公告")
        ordering = ["-posted_at", "-id"]
        indexes = [
            models.Index(fields=["ends_at", "region"], name="notice_public"),
            models.Index(fields=["batch", "kind"], name="notice_batch_kind"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_current(self, now: datetime.datetime) -> bool:
        return self.posted_at <= now < self.ends_at


class JointNoticeBatch(models.Model):
    """A village batch listed on a township's one notice across its villages (乡镇统一公示): the notice is the
    lead batch's `Notice` row; each village's batch is closed on its own when its period and objections
    allow."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="joint_batches", verbose_name=_("公示公告")
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="joint_notices", verbose_name=_("批次")
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("乡镇统一公示的村")
        verbose_name_plural = _("乡镇统一公示的村")
        ordering = ["notice_id", "batch_id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "batch"], name="jointnoticebatch_once_per_notice")
        ]
        indexes = [models.Index(fields=["batch", "closed_at"], name="jointnotice_batch_open")]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.batch_id}"


class AnnouncementManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=NoticeKind.ANNOUNCEMENT)


class Announcement(Notice):
    """The county's announcement (公告) of a batch's result: a notice of kind `announcement`."""

    objects = AnnouncementManager()

    class Meta:
        proxy = True
        verbose_name = _("公告")
        verbose_name_plural = _("公告")


class Objection(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        REJECTED = "rejected", _("异议不成立")

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="objections", verbose_name=_("批次")
    )
    entry = models.ForeignKey(
        BatchHousehold,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("涉及的户"),
    )
    stage = models.CharField(_("提出环节"), max_length=20, choices=Stage.choices)
    raised_on = models.DateField(_("提出日期"))
    objector = models.CharField(_("异议人"), max_length=50, blank=True, help_text=_("可匿名；不公开"))
    content = models.TextField(_("异议内容"))
    state = models.CharField(_("处理结果"), max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(_("核查情况与理由"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["batch_id", "id"]
        indexes = [models.Index(fields=["batch", "state"], name="objection_batch_state")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.get_state_display()}"
