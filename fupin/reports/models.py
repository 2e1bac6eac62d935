"""Statistics rollups and the satisfaction survey (群众认可度).

RegionStat holds, for every region at every level, the household counts behind the
dashboard's registry figures, so a province's figures are one index lookup instead of an
aggregate over millions of households. On PostgreSQL, statement triggers on the household
table append the villages a write touched to DirtyVillage; readers patch those villages
with live counts, and the refresh task folds them in — a figure is never stale.

CaseworkStat does the same for the dashboard's case-work figures (helpers, visits, monitoring,
help measures), logged by triggers on the tables behind them (migration 0006); LoanStat holds the
microloan figures per region, kept by triggers as loans and repayments are written (migration 0007),
and ProblemStat the problem ledger's by deadline (migration 0009).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionStat(models.Model):
    """Households and persons of one region under one (metric, key), e.g. ("status", "poor")."""

    region_code = models.CharField(_("区划代码"), max_length=15)
    metric = models.CharField(_("指标"), max_length=20)
    key = models.CharField(_("分组"), max_length=25)
    households = models.PositiveIntegerField(_("户数"), default=0)
    persons = models.PositiveIntegerField(_("人数"), default=0)

    class Meta:
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")
        # a region's rows are one range of this index: WHERE region_code = … or IN (its children)
        constraints = [
            models.UniqueConstraint(fields=["region_code", "metric", "key"], name="regionstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.metric}:{self.key}"


class CaseworkStat(models.Model):
    """Households of one region under one case-work figure, per year where the figure is per year (else 0).

    metric "visit_ref" is keyed by day: the paired households whose last visit (or, never visited, their
    pairing) fell on that day, so "overdue for a visit" is the sum of the days before today's cut-off.
    """

    region_code = models.CharField(_("区划代码"), max_length=15)
    metric = models.CharField(_("指标"), max_length=20)
    year = models.PositiveSmallIntegerField(_("年度"), default=0)
    key = models.CharField(_("分组"), max_length=25)
    households = models.PositiveIntegerField(_("户数"), default=0)

    class Meta:
        verbose_name = _("帮扶监测统计汇总")
        verbose_name_plural = _("帮扶监测统计汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "metric", "year", "key"], name="caseworkstat_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.metric}:{self.year}:{self.key}"


class LoanStat(models.Model):
    """The disbursed microloans (小额信贷) under one region code, at every level, kept by triggers on the loan
    and repayment tables in the writing transaction (migration 0007): counts and money in fen."""

    region_code = models.CharField(_("区划代码"), max_length=15, unique=True)
    loans = models.IntegerField(_("已放款笔数"), default=0)
    amount_fen = models.BigIntegerField(_("已放款金额（分）"), default=0)
    open_loans = models.IntegerField(_("未结清笔数"), default=0)
    open_amount_fen = models.BigIntegerField(_("未结清贷款金额（分）"), default=0)
    open_repaid_fen = models.BigIntegerField(_("未结清贷款已还本金（分）"), default=0)

    class Meta:
        verbose_name = _("小额信贷统计汇总")
        verbose_name_plural = _("小额信贷统计汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.loans}"


class ProblemStat(models.Model):
    """Problems in the ledger (问题台账) under one region code, at every level, by deadline: those being
    rectified (open) and those not yet closed out (pending), kept by triggers on the problem table (migration
    0009)."""

    region_code = models.CharField(_("区划代码"), max_length=15)
    deadline = models.DateField(_("整改时限"))
    open = models.IntegerField(_("整改中"), default=0)
    pending = models.IntegerField(_("未销号"), default=0)

    class Meta:
        verbose_name = _("问题台账统计汇总")
        verbose_name_plural = _("问题台账统计汇总")
        constraints = [models.UniqueConstraint(fields=["region_code", "deadline"], name="problemstat_unique")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.deadline} {self.pending}"


class DirtyVillage(models.Model):
    """A village whose households (or their case work) changed since the rollups last took them in
    (append-only log)."""

    village_code = models.CharField(max_length=15)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["village_code"], name="dirtyvillage_code")]

    def __str__(self) -> str:
        return str(_("待刷新的行政村 %(village)s") % {"village": self.village_code})


class StatsState(models.Model):
    """The rollup's one state row: when it was last built in full and refreshed."""

    built_at = models.DateTimeField(_("全量重建时间"), null=True, blank=True)
    casework_built_at = models.DateTimeField(_("帮扶监测汇总重建时间"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("增量刷新时间"), null=True, blank=True)
    refresh_requested_at = models.DateTimeField(_("最近请求刷新时间"), null=True, blank=True)
    seconds = models.FloatField(_("重建耗时（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("统计汇总状态")
        verbose_name_plural = _("统计汇总状态")

    def __str__(self) -> str:
        return str(_("统计汇总状态"))


class SurveyAnswer(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNSURE = "unsure", _("说不清")


class SatisfactionSurvey(models.Model):
    """One household's answer to the satisfaction survey (群众认可度调查) of a year."""

    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
        verbose_name=_("户"),
    )
    village_code = models.CharField(_("行政村代码"), max_length=15)
    year = models.PositiveSmallIntegerField(_("年度"))
    answer = models.CharField(_("对帮扶工作和脱贫成效的评价"), max_length=12, choices=SurveyAnswer.choices)
    respondent = models.CharField(_("受访人"), max_length=50)
    surveyed_on = models.DateField(_("调查日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("录入人"),
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("群众认可度调查")
        verbose_name_plural = _("群众认可度调查")
        ordering = ["village_code", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="survey_one_per_household_year")
        ]
        indexes = [models.Index(fields=["year", "village_code", "answer"], name="survey_year_village")]

    def __str__(self) -> str:
        return f"{self.year} {self.household_id} {self.get_answer_display()}"
