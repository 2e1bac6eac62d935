"""精准考核: the 三率一度 of each county or township for a year, with how each was computed.

The rates follow the effectiveness assessment of poverty alleviation (seeds/003: 贫困发生率、
脱贫人口错退率、贫困人口漏评率和群众认可度) and the reduction plan of the year (seeds/002: 考评精准):

- 错退率 wrong-exit rate = wrong exits ÷ exits of the year. An exit of the year (exit_year = year,
  still registered) is wrong when a look-back (回头看) of that year or later found one of its
  checklist items not met, or a cross-check finding on it was confirmed (转整改 or 清退).
- 漏评率 omission rate = omitted ÷ (poor at the year's end + omitted). A household is omitted when
  it is outside the registry (未建档、申请中、已清退) and a look-back of the year found it, as a
  档外 household, with an item not met, or a cross-check finding on it was confirmed (转整改).
- 群众认可度 satisfaction = (满意 + 基本满意) ÷ answers other than 说不清, from the year's survey.
- 减贫计划完成率 reduction against plan = exit persons of the year ÷ the year's reduction plan.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Substr

from fupin.accounts.scope import household_filter
from fupin.monitoring.models import CHECK_ITEMS, Finding, LookBackItem
from fupin.procedures.rules import any_unmet
from fupin.regions.models import Region
from fupin.registry import codes
from fupin.registry.models import Household

from . import selectors, tables
from .models import SatisfactionSurvey, SurveyAnswer
from .selectors import REGISTERED, within_region

OUTSIDE = [codes.HouseholdStatus.UNREGISTERED, codes.HouseholdStatus.APPLICANT, codes.HouseholdStatus.REMOVED]
CONFIRMED_DECISIONS = ["rectify", "excluded"]

FORMULAS = [
    (
        "错退率",
        "错退户数 ÷ 当年脱贫户数 × 100%",
        "当年脱贫户中，当年及以后的回头看排查有一项不达标，或部门比对疑点经核实属实（转整改、清退）的户。",
    ),
    (
        "漏评率",
        "漏评户数 ÷（年末贫困户数 + 漏评户数）× 100%",
        "档外户（未建档、申请中、已清退）中，当年回头看排查有一项不达标，或部门比对疑点经核实属实（转整改）的户。",
    ),
    (
        "群众认可度",
        "（满意 + 基本满意）户数 ÷ 作出评价的户数 × 100%",
        "来自当年群众认可度调查的答卷，“说不清”不计入分母。",
    ),
    (
        "减贫计划完成率",
        "当年脱贫人口 ÷ 当年减贫计划人数 × 100%",
        "减贫计划取本级下达数，没有时取下级下达数之和。",
    ),
]


def wrong_exit_filter(year: int) -> Q:
    lookback = LookBackItem.objects.filter(
        any_unmet(CHECK_ITEMS), household_id=OuterRef("pk"), campaign__year__gte=year
    )
    finding = Finding.objects.filter(household_id=OuterRef("pk"), decision__in=CONFIRMED_DECISIONS)
    return Q(status__in=REGISTERED, exit_year=year) & (Q(Exists(lookback)) | Q(Exists(finding)))


def omission_filter(year: int) -> Q:
    lookback = LookBackItem.objects.filter(
        any_unmet(CHECK_ITEMS),
        household_id=OuterRef("pk"),
        campaign__year=year,
        group=LookBackItem.Group.UNREGISTERED,
    )
    finding = Finding.objects.filter(household_id=OuterRef("pk"), decision="rectify")
    return Q(status__in=OUTSIDE) & (Q(Exists(lookback)) | Q(Exists(finding)))


@dataclass
class AssessmentRow:
    code: str
    name: str
    exits: int = 0
    exit_persons: int = 0
    wrong_exits: int = 0
    poor_end: int = 0
    omitted: int = 0
    satisfied: int = 0
    answered: int = 0
    plan: int | None = None

    @property
    def wrong_exit_rate(self):
        return tables.percent(self.wrong_exits, self.exits)

    @property
    def omission_rate(self):
        return tables.percent(self.omitted, self.poor_end + self.omitted)

    @property
    def satisfaction(self):
        return tables.percent(self.satisfied, self.answered)

    @property
    def plan_rate(self):
        return tables.percent(self.exit_persons, self.plan)


def _grouped_count(qs, field_name: str, length: int) -> dict[str, int]:
    rows = qs.order_by().annotate(child=Substr(field_name, 1, length)).values("child").annotate(n=Count("pk"))
    return {r["child"]: r["n"] for r in rows}


def assessment(user, region: Region | None, year: int) -> dict:
    """The assessment of each child region (county or township) of `region`, and of `region` itself."""
    code = region.code if region else ""
    scope = household_filter(user)
    children = tables.children_of(user, region)
    length = selectors.child_code_length(code)
    if length is None:
        children = []
    figures = selectors.region_figures(user, code)
    extras = tables._child_extras(user, code, length, year, figures)
    wrong: dict = {}
    omitted: dict = {}
    satisfied: dict = defaultdict(int)
    answered: dict = defaultdict(int)
    if scope is not None:
        households = within_region(Household.objects.all(), "village_id", code).filter(scope)
        group_length = length or len(code) or 2
        wrong = _grouped_count(households.filter(wrong_exit_filter(year)), "village_id", group_length)
        omitted = _grouped_count(households.filter(omission_filter(year)), "village_id", group_length)
        surveys = (
            within_region(SatisfactionSurvey.objects.filter(year=year), "village_code", code)
            .filter(household__in=households.values("pk"))
            .exclude(answer=SurveyAnswer.UNSURE)
        )
        for row in (
            surveys.order_by()
            .annotate(child=Substr("village_code", 1, group_length))
            .values("child", "answer")
            .annotate(n=Count("pk"))
        ):
            answered[row["child"]] += row["n"]
            if row["answer"] in (SurveyAnswer.SATISFIED, SurveyAnswer.BASICALLY):
                satisfied[row["child"]] += row["n"]

    def make(rcode, name, which, plan):
        exits = figures.get("exit_year", year, which)
        pick = (lambda d: d.get(rcode, 0)) if which is not None else (lambda d: sum(d.values()))
        return AssessmentRow(
            code=rcode,
            name=name,
            exits=exits[0],
            exit_persons=exits[1],
            wrong_exits=pick(wrong),
            poor_end=tables.poor_at(figures, year, which)[0],
            omitted=pick(omitted),
            satisfied=pick(satisfied),
            answered=pick(answered),
            plan=plan,
        )

    rows = [make(c.code, c.name, c.code, extras["plan"].get(c.code)) for c in children]
    total = make(
        code,
        (region.name if region else "全国") + "合计",
        None,
        selectors.plans_by_year(user, code, [year]).get(year),
    )
    return {"rows": rows, "total": total, "formulas": FORMULAS}
