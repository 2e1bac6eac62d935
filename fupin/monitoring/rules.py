"""The risk-signal and suspect-data rules, as set-based queries.

Each rule is a function (year, scope prefix) → a queryset of plain rows that name the record
which fired (its id and a label), so every signal and finding explains itself. The sweep
turns each queryset into one INSERT … SELECT, so no household passes through Python.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Cast, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.audit.models import AuditEntry
from fupin.procedures.rules import any_unmet
from fupin.regions.models import in_region
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member

from .department_rules import DEPARTMENT_RULES
from .id_rules import (  # noqa: F401 (ID_PATTERN, ODD_DIGITS: read by tests and screening)
    ID_PATTERN,
    ODD_DIGITS,
    suspect_identity_mismatch,
    suspect_invalid_id,
    suspect_same_person,
)
from .models import MonitoringThreshold, RiskEvent, Severity, SignalKind

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
# Statuses watched for risk: exited households (脱贫不稳定), monitored ones, and the non-registered
# rural population (边缘、突发困难; households once cleared out included). Poor households and
# applicants are already inside a procedure.
WATCHED_STATUSES = [
    codes.HouseholdStatus.EXITED,
    codes.HouseholdStatus.MONITORED,
    codes.HouseholdStatus.UNREGISTERED,
    codes.HouseholdStatus.REMOVED,
]
WORKING_AGE = (16, 59)
OLDEST_PLAUSIBLE_AGE = 110
SPLIT_RECENT_DAYS = 730
CHILD_RELATIONS = [
    codes.Relation.SON,
    codes.Relation.DAUGHTER,
    codes.Relation.SON_IN_LAW,
    codes.Relation.DAUGHTER_IN_LAW,
    codes.Relation.GRANDSON,
    codes.Relation.GRANDDAUGHTER,
    codes.Relation.DAUGHTERS_SON,
    codes.Relation.DAUGHTERS_DAUGHTER,
]
PARENT_RELATIONS = [
    codes.Relation.FATHER,
    codes.Relation.MOTHER,
    codes.Relation.FATHER_IN_LAW_WIFE,
    codes.Relation.MOTHER_IN_LAW_WIFE,
    codes.Relation.FATHER_IN_LAW_HUSBAND,
    codes.Relation.MOTHER_IN_LAW_HUSBAND,
    codes.Relation.GRANDFATHER,
    codes.Relation.GRANDMOTHER,
]


class ThresholdMissing(LookupError):
    """No monitoring line applies to this year and region."""


# ---------------------------------------------------------------- thresholds


def effective_thresholds(year: int) -> list[MonitoringThreshold]:
    """Rows that may apply in `year`, in the order a household picks them: latest year, then most specific
    prefix."""
    rows = list(MonitoringThreshold.objects.filter(year__lte=year))
    return sorted(rows, key=lambda r: (r.year, len(r.region_prefix)), reverse=True)


def threshold_for(year: int, region_code: str) -> MonitoringThreshold:
    for row in effective_thresholds(year):
        if region_code.startswith(row.region_prefix):
            return row
    raise ThresholdMissing(gettext("未设置%(year)s年适用于该区域的监测线") % {"year": year})


def _by_region(year: int, field: str, attr: str, output_field):
    """A CASE choosing each row's threshold attribute by the region code in `field` (a handful of WHENs)."""
    rows = effective_thresholds(year)
    whens = [
        When(in_region(field, r.region_prefix), then=Value(getattr(r, attr), output_field=output_field))
        for r in rows
        if r.region_prefix
    ]
    national = next((r for r in rows if not r.region_prefix), None)
    default = (
        Value(getattr(national, attr), output_field=output_field)
        if national
        else Value(None, output_field=output_field)
    )
    return Case(*whens, default=default, output_field=output_field) if whens else default


def _scoped(qs: QuerySet, field: str, prefix: str) -> QuerySet:
    return qs.filter(in_region(field, prefix)) if prefix else qs


def _text(*parts) -> Concat:
    return Concat(
        *[p if hasattr(p, "resolve_expression") else Value(str(p)) for p in parts], output_field=CharField()
    )


def _as_text(expr) -> Cast:
    return Cast(expr, CharField())


# ---------------------------------------------------------------- risk signals

SIGNAL_COLUMNS = (
    "household_id",
    "village_code",
    "source_type",
    "source_id",
    "source_label",
    "value",
    "reference",
)


def _signal_rows(
    qs: QuerySet,
    *,
    household: str,
    village: str,
    source_type: str,
    source_id: str,
    label,
    value=None,
    reference=None,
) -> QuerySet:
    return qs.values(
        s_household=F(household),
        s_village=F(village),
        s_type=Value(source_type, output_field=CharField()),
        s_source=F(source_id),
        s_label=label,
        s_value=value if value is not None else Cast(Value(None), MONEY_FIELD),
        s_reference=reference if reference is not None else Cast(Value(None), MONEY_FIELD),
    )


def _watched_incomes(year: int, prefix: str) -> QuerySet:
    return _scoped(
        IncomeRecord.objects.filter(year=year, household__status__in=WATCHED_STATUSES),
        "household__village_id",
        prefix,
    )


def signal_low_income(year: int, prefix: str = "") -> QuerySet:
    """Per-capita net income of the year below the monitoring line (seeds 003, 004: 5,000 yuan)."""
    qs = _watched_incomes(year, prefix).annotate(
        line=_by_region(year, "household__village_id", "threshold", MONEY_FIELD)
    )
    qs = qs.filter(per_capita_net_income__lt=F("line"))
    return _signal_rows(
        qs,
        household="household_id",
        village="household__village_id",
        source_type="income",
        source_id="id",
        label=_text(_as_text(F("year")), "年收入"),
        value=F("per_capita_net_income"),
        reference=F("line"),
    )


def signal_income_drop(year: int, prefix: str = "") -> QuerySet:
    """Per-capita net income fell by more than the configured percentage against the year before."""
    qs = (
        _watched_incomes(year, prefix)
        .filter(household__incomes__year=year - 1)
        .annotate(
            previous=F("household__incomes__per_capita_net_income"),
            drop=_by_region(year, "household__village_id", "income_drop_percent", IntegerField()),
        )
        .annotate(
            in_percent=F("per_capita_net_income")
            * Value(100),  # income × 100 < previous × (100 − drop): no division
        )
        .filter(previous__gt=0, in_percent__lt=F("previous") * (Value(100) - F("drop")))
    )
    return _signal_rows(
        qs,
        household="household_id",
        village="household__village_id",
        source_type="income",
        source_id="id",
        label=_text(_as_text(F("year")), "年收入"),
        value=F("per_capita_net_income"),
        reference=F("previous"),
    )


def _large_expense(kind: str, noun: str):
    def rule(year: int, prefix: str = "") -> QuerySet:
        events = _scoped(
            RiskEvent.objects.filter(
                kind=kind, occurred_on__year=year, household__status__in=WATCHED_STATUSES
            ),
            "household__village_id",
            prefix,
        )
        qs = (
            events.order_by()
            .values("household_id", "household__village_id")
            .annotate(
                total=Sum("amount"),
                n=Count("id"),
                last=Max("id"),
                limit=Max(_by_region(year, "household__village_id", "large_expense", MONEY_FIELD)),
            )
            .filter(total__gte=F("limit"))
        )
        return qs.values(
            s_household=F("household_id"),
            s_village=F("household__village_id"),
            s_type=Value("event", output_field=CharField()),
            s_source=F("last"),
            s_label=_text(f"{year}年", _as_text(F("n")), f"笔{noun}合计"),
            s_value=F("total"),
            s_reference=F("limit"),
        )

    rule.__doc__ = (
        f"{noun} of the year adding up to the configured large-expense amount (seed 003: 因病、因学)."
    )
    return rule


signal_large_medical = _large_expense(RiskEvent.Kind.MEDICAL, "医疗支出")
signal_large_education = _large_expense(RiskEvent.Kind.EDUCATION, "教育支出")


def signal_disaster(year: int, prefix: str = "") -> QuerySet:
    """A disaster or accident recorded in the year (突发灾害户, seed 003)."""
    qs = _scoped(
        RiskEvent.objects.filter(
            kind=RiskEvent.Kind.DISASTER, occurred_on__year=year, household__status__in=WATCHED_STATUSES
        ),
        "household__village_id",
        prefix,
    )
    return _signal_rows(
        qs,
        household="household_id",
        village="household__village_id",
        source_type="event",
        source_id="id",
        label=_text(_as_text(F("occurred_on")), " ", Substr("description", 1, 150)),
        value=F("amount"),
    )


def _members(prefix: str) -> QuerySet:
    return _scoped(Member.objects.filter(household__status__in=WATCHED_STATUSES), "village_code", prefix)


def signal_new_illness(year: int, prefix: str = "") -> QuerySet:
    """A member now seriously ill or disabled whose health or disability was changed in the year (audit
    trail)."""
    changed = AuditEntry.objects.filter(
        target_type="member",
        target_id=Cast(OuterRef("pk"), CharField()),
        action="update_member",
        at__year=year,
    ).filter(Q(changes__has_key="health") | Q(changes__has_key="disability_category"))
    qs = _members(prefix).filter(
        Q(health__in=[codes.Health.SERIOUS, codes.Health.DISABLED]) | ~Q(disability_category="")
    )
    qs = qs.filter(Exists(changed))
    return _signal_rows(
        qs,
        household="household_id",
        village="village_code",
        source_type="member",
        source_id="id",
        label=F("name"),
    )


def signal_labour_loss(year: int, prefix: str = "") -> QuerySet:
    """A working-age member (16–59 at the end of the year) who has lost the ability to work."""
    young, old = WORKING_AGE
    end = datetime.date(year, 12, 31)
    qs = _members(prefix).filter(
        labour_skill=codes.LabourSkill.LOST,
        birth_date__lte=end.replace(year=year - young),
        birth_date__gt=end.replace(year=year - old - 1),
    )
    return _signal_rows(
        qs,
        household="household_id",
        village="village_code",
        source_type="member",
        source_id="id",
        label=F("name"),
    )


GUARANTEE_NAMES = {
    "food": "不愁吃",
    "clothing": "不愁穿",
    "education": "义务教育",
    "medical": "基本医疗",
    "housing": "住房安全",
    "water": "饮水安全",
}


def _unmet_label():
    parts = []
    for field, name in GUARANTEE_NAMES.items():
        parts.append(
            Case(When(**{field: False}, then=Value(name + " ")), default=Value(""), output_field=CharField())
        )
    return Concat(*parts, output_field=CharField())


def signal_guarantee_unmet(year: int, prefix: str = "") -> QuerySet:
    """The year's 两不愁三保障 + drinking-water check has an item not met."""
    qs = _scoped(
        GuaranteeCheck.objects.filter(any_unmet(), year=year, household__status__in=WATCHED_STATUSES),
        "household__village_id",
        prefix,
    )
    return _signal_rows(
        qs,
        household="household_id",
        village="household__village_id",
        source_type="guarantee",
        source_id="id",
        label=_unmet_label(),
    )


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    query: Callable[..., QuerySet]  # (year, region prefix[, candidates=]) -> the rows it raises
    severity: int = Severity.MEDIUM


SIGNAL_RULES = [
    Rule(SignalKind.LOW_INCOME, SignalKind.LOW_INCOME.label, signal_low_income),
    Rule(SignalKind.INCOME_DROP, SignalKind.INCOME_DROP.label, signal_income_drop),
    Rule(SignalKind.LARGE_MEDICAL, SignalKind.LARGE_MEDICAL.label, signal_large_medical),
    Rule(SignalKind.LARGE_EDUCATION, SignalKind.LARGE_EDUCATION.label, signal_large_education),
    Rule(SignalKind.DISASTER, SignalKind.DISASTER.label, signal_disaster),
    Rule(SignalKind.NEW_ILLNESS, SignalKind.NEW_ILLNESS.label, signal_new_illness),
    Rule(SignalKind.LABOUR_LOSS, SignalKind.LABOUR_LOSS.label, signal_labour_loss),
    Rule(SignalKind.GUARANTEE_UNMET, SignalKind.GUARANTEE_UNMET.label, signal_guarantee_unmet),
]


# ---------------------------------------------------------------- suspect data (疑点数据)

FINDING_COLUMNS = ("household_id", "member_id", "village_code", "detail")


def _finding_rows(qs: QuerySet, *, household: str, member: str | None, village: str, detail) -> QuerySet:
    return qs.values(
        f_household=F(household),
        f_member=F(member) if member else Cast(Value(None), IntegerField()),
        f_village=F(village),
        f_detail=Substr(detail, 1, 500),
    )


def _among(qs: QuerySet, candidates, field: str = "pk") -> QuerySet:
    """Only the rows the sweep's screen marked (screening.py), when it did: `candidates` is SQL for their
    ids."""
    return qs if candidates is None else qs.filter(**{f"{field}__in": candidates})


def plausible_birth_dates() -> tuple[datetime.date, datetime.date]:
    """Today, and the earliest plausible birth date (OLDEST_PLAUSIBLE_AGE years ago)."""
    today = timezone.localdate()
    oldest = (
        today.replace(year=today.year - OLDEST_PLAUSIBLE_AGE)
        if not (today.month == 2 and today.day == 29)
        else datetime.date(today.year - OLDEST_PLAUSIBLE_AGE, 2, 28)
    )
    return today, oldest


def suspect_implausible_age(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """A member older than plausible (over 110) or born in the future."""
    today, oldest = plausible_birth_dates()
    qs = _scoped(
        _among(Member.objects.filter(Q(birth_date__lt=oldest) | Q(birth_date__gt=today)), candidates),
        "village_code",
        prefix,
    )
    return _finding_rows(
        qs,
        household="household_id",
        member="id",
        village="village_code",
        detail=_text("成员", F("name"), "的出生日期 ", _as_text(F("birth_date")), " 不合理"),
    )


def _heads(**condition):
    """The household's heads meeting `condition` (a birth-date comparison with the outer member), first by
    id."""
    return Member.objects.filter(
        household_id=OuterRef("household_id"), relation=codes.Relation.HEAD, **condition
    ).order_by("id")


# The member-to-head comparisons are an EXISTS (one hash semi-join over the members) rather than a head's
# birth date looked up for each of a million members; the head named in the text is the first that fires.
# With one head per household (anything else is suspect_head_missing) it is the same rule.


def _against_head(
    relations: list[str], head_birth: str, generation: str, verdict: str, prefix: str, candidates: Any
) -> QuerySet:
    """Members of `relations` with a head of their household whose birth date meets `head_birth` (a lookup
    against the member's own); the text names the member's `generation` and what they are not (`verdict`)."""
    head = _heads(**{head_birth: OuterRef("birth_date")})
    qs = (
        _scoped(_among(Member.objects.filter(relation__in=relations), candidates), "village_code", prefix)
        .filter(Exists(head))
        .annotate(head_birth=Subquery(head.values("birth_date")[:1]))
    )
    return _finding_rows(
        qs,
        household="household_id",
        member="id",
        village="village_code",
        detail=_text(
            "成员",
            F("name"),
            f"（户主{generation}，",
            _as_text(F("birth_date")),
            "出生）不比户主（",
            _as_text(F("head_birth")),
            f"出生）{verdict}",
        ),
    )


def suspect_child_older_than_head(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """A child or grandchild of the head born on or before the head."""
    return _against_head(CHILD_RELATIONS, "birth_date__gte", "子女辈", "年轻", prefix, candidates)


def suspect_parent_younger_than_head(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """A parent or grandparent of the head born on or after the head."""
    return _against_head(PARENT_RELATIONS, "birth_date__lte", "父母辈", "年长", prefix, candidates)


def suspect_head_missing(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """A household with members but no head, or with more than one."""
    # counted over the members in one grouping (their village code is the household's), not per household;
    # screened: over the members of the marked households
    qs = (
        _scoped(_among(Member.objects.order_by(), candidates, "household_id"), "village_code", prefix)
        .values("household_id")
        .annotate(heads=Count("id", filter=Q(relation=codes.Relation.HEAD)), village=Max("village_code"))
        .exclude(heads=1)
    )
    number = Household.objects.filter(pk=OuterRef("household_id")).values("number")[:1]
    return _finding_rows(
        qs,
        household="household_id",
        member=None,
        village="village",
        detail=_text(
            "户 ", Subquery(number), " 登记有 ", _as_text(F("heads")), " 名户主（每户须且只能有一名户主）"
        ),
    )


def suspect_income_inconsistent(year: int, prefix: str = "") -> QuerySet:
    """A year's per-capita net income that does not equal (incomes − productive expenditure) ÷ household
    size."""
    total = sum((F(f) for f in IncomeRecord.INCOME_FIELDS[1:]), F(IncomeRecord.INCOME_FIELDS[0])) - F(
        "productive_expenditure"
    )
    qs = (
        _scoped(IncomeRecord.objects.filter(year=year), "household__village_id", prefix)
        .annotate(
            gap=Abs(F("per_capita_net_income") * F("household_size") - total, output_field=MONEY_FIELD),
        )
        .filter(gap__gt=F("household_size") * Value(Decimal("0.01")))
    )
    return _finding_rows(
        qs,
        household="household_id",
        member=None,
        village="household__village_id",
        detail=_text(
            _as_text(F("year")),
            "年人均纯收入 ",
            _as_text(F("per_capita_net_income")),
            " 元与各项收入、生产经营性支出和人口数核算不符",
        ),
    )


def suspect_income_size_mismatch(year: int, prefix: str = "") -> QuerySet:
    """The year's income record counts a different number of people than the household has members."""
    qs = _scoped(
        IncomeRecord.objects.filter(year=year).exclude(household_size=F("household__size")),
        "household__village_id",
        prefix,
    )
    return _finding_rows(
        qs,
        household="household_id",
        member=None,
        village="household__village_id",
        detail=_text(
            _as_text(F("year")),
            "年收入按 ",
            _as_text(F("household_size")),
            " 人计算，户内登记 ",
            _as_text(F("household__size")),
            " 人",
        ),
    )


def suspect_split_household(year: int, prefix: str = "") -> QuerySet:
    """A household created recently at the same address as an older one in the same village (拆户、分户)."""
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=SPLIT_RECENT_DAYS)
    older = Household.objects.filter(
        village_id=OuterRef("village_id"), address=OuterRef("address"), pk__lt=OuterRef("pk")
    )
    qs = _scoped(Household.objects.exclude(address="").filter(created_at__gte=cutoff), "village_id", prefix)
    qs = qs.filter(Exists(older)).annotate(older_number=Subquery(older.order_by("pk").values("number")[:1]))
    return _finding_rows(
        qs,
        household="id",
        member=None,
        village="village_id",
        detail=_text(
            "户 ",
            F("number"),
            " 与户 ",
            F("older_number"),
            " 同住 ",
            Substr("address", 1, 100),
            "，新近分立，疑似拆户分户",
        ),
    )


def suspect_exited_guarantees_unmet(year: int, prefix: str = "") -> QuerySet:
    """An exited household whose guarantee check of its exit year has an item not met (seed 003:
    脱真贫、真脱贫)."""
    qs = _scoped(
        GuaranteeCheck.objects.filter(
            any_unmet(), household__status=codes.HouseholdStatus.EXITED, year=F("household__exit_year")
        ),
        "household__village_id",
        prefix,
    )
    return _finding_rows(
        qs,
        household="household_id",
        member=None,
        village="household__village_id",
        detail=_text("已于", _as_text(F("year")), "年脱贫，但当年核查未达标：", _unmet_label()),
    )


SUSPECT_RULES = [
    Rule("same_person", _("同一人登记在两户"), suspect_same_person, Severity.HIGH),
    Rule("invalid_id", _("身份证号不合规"), suspect_invalid_id, Severity.MEDIUM),
    Rule("identity_mismatch", _("出生日期或性别与身份证号不符"), suspect_identity_mismatch, Severity.MEDIUM),
    Rule("implausible_age", _("年龄不合理"), suspect_implausible_age, Severity.MEDIUM),
    Rule("child_older_than_head", _("子女年龄大于户主"), suspect_child_older_than_head, Severity.MEDIUM),
    Rule(
        "parent_younger_than_head", _("父母年龄小于户主"), suspect_parent_younger_than_head, Severity.MEDIUM
    ),
    Rule("head_missing", _("户主缺失或重复"), suspect_head_missing, Severity.MEDIUM),
    Rule("income_inconsistent", _("收入核算不符"), suspect_income_inconsistent, Severity.MEDIUM),
    Rule("income_size_mismatch", _("收入人口数与家庭人口不符"), suspect_income_size_mismatch, Severity.LOW),
    Rule("split_household", _("疑似拆户分户"), suspect_split_household, Severity.HIGH),
    Rule(
        "exited_guarantees_unmet",
        _("脱贫时两不愁三保障未达标"),
        suspect_exited_guarantees_unmet,
        Severity.HIGH,
    ),
]

# One table names every rule a finding can carry: the suspect rules, the department cross-checks' rules
# (matching.py writes their findings) and a pushed event's open question.
RULE_LABELS: dict[str, str] = (
    {r.key: r.label for r in SUSPECT_RULES}
    | {r.key: r.label for rules in DEPARTMENT_RULES.values() for r in rules}
    | {
        # pushed.UNRESOLVED_RULE: a pushed event's candidates, for a person to decide whose it is
        "pushed_person_unresolved": _("推送事件对应的人待确认"),
    }
)


def evaluate(rule: Rule, year: int, prefix: str = "") -> list[dict]:
    """A rule's rows as dicts (tests and the household page use this; the sweep inserts set-based)."""
    return list(rule.query(year, prefix))
