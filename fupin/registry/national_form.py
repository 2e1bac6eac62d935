"""The national household registration form (贫困户登记表 / 信息采集表, /work/shared/NATIONAL_FORM.md) printed
as a PDF, for one household or a village's households at once: the form's household block, members, and the
year's income.

The printed form is a sensitive-data view: ID numbers print masked (110105********002X), phones and bank
accounts too; the full ID numbers print only after the reveal-with-purpose step (fupin.registry.reveal), which
writes the access log. The form is the national paper form, so it prints in Chinese whatever the page's
language.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fupin.core.idnumber import mask, mask_phone

from . import codes
from .models import Household, IncomeRecord, Member

# The household block in the form's order (NATIONAL_FORM.md, 户基本情况), after the region and identity lines.
HOUSEHOLD_FIELDS = (
    "number",
    "head_name",
    "phone",
    "bank_name",
    "bank_account",
    "identification_standard",
    "household_type",
    "primary_cause",
    "other_causes",
    "size",
    "is_military_family",
    "is_only_child",
    "is_two_daughters",
    "farmland_area",
    "irrigated_area",
    "forest_area",
    "returned_forest_area",
    "pasture_area",
    "water_area",
    "housing_area",
    "is_dangerous_house",
    "road_distance_km",
    "road_type",
    "has_electricity",
    "has_broadcast_tv",
    "water_difficult",
    "water_safe",
    "fuel_type",
    "has_sanitary_toilet",
    "in_cooperative",
    "registration_year",
    "exit_year",
    "status",
)
MEMBER_FIELDS = (
    "name",
    "sex",
    "id_number",
    "relation",
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_skill",
    "work_status",
    "work_months",
    "has_medical_insurance",
    "has_serious_illness_insurance",
    "has_pension_insurance",
    "has_accident_insurance",
    "is_active_military",
    "disability_category",
    "disability_level",
    "phone",
)
INCOME_FIELDS = (
    "wages",
    "production",
    "property_income",
    "family_planning",
    "dibao",
    "wubao",
    "pension",
    "eco_compensation",
    "other_transfers",
    "productive_expenditure",
    "per_capita_net_income",
)
MASKED = {"id_number": mask, "phone": mask_phone, "bank_account": mask}


def _value(record, name: str, *, full_ids: bool) -> str:
    """A field as the paper form shows it: words for codes, 是/否, the masked value unless revealed."""
    value = getattr(record, name)
    if name == "other_causes":
        return "、".join(
            str(codes.PovertyCause(c).label) for c in value or [] if c in codes.PovertyCause.values
        )
    if name in MASKED and not (full_ids and name == "id_number"):
        return MASKED[name](value or "")
    field = record._meta.get_field(name)
    if field.choices and value not in (None, ""):
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def _row(record, names: Iterable[str], *, full_ids: bool) -> list[tuple[str, str]]:
    return [
        (str(record._meta.get_field(n).verbose_name), _value(record, n, full_ids=full_ids)) for n in names
    ]


def form_households(households) -> list[Household]:
    """The households with what the form reads, in a fixed handful of queries."""
    return list(
        households.select_related("village", "group").prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("id")),
            Prefetch("incomes", queryset=IncomeRecord.objects.order_by("-year")),
        )
    )


def form_of(household: Household, *, full_ids: bool) -> dict:
    path = household.village.path()
    members = list(household.members.all())
    income = next(iter(household.incomes.all()), None)
    return {
        "household": household,
        "regions": [r.name for r in path] + ([household.group.name] if household.group_id else []),
        "fields": _row(household, HOUSEHOLD_FIELDS, full_ids=full_ids),
        "head_id": next(
            (_value(m, "id_number", full_ids=full_ids) for m in members if m.relation == codes.Relation.HEAD),
            "",
        ),
        "member_labels": [str(Member._meta.get_field(n).verbose_name) for n in MEMBER_FIELDS],
        "members": [[v for _label, v in _row(m, MEMBER_FIELDS, full_ids=full_ids)] for m in members],
        "income": income,
        "income_rows": _row(income, INCOME_FIELDS, full_ids=full_ids) if income else [],
    }


def render_forms_html(households: list[Household], *, full_ids: bool) -> str:
    with translation.override("zh-hans"):
        return render_to_string(
            "registry/national_form.html",
            {
                "forms": [form_of(h, full_ids=full_ids) for h in households],
                "full_ids": full_ids,
                "printed_on": timezone.localdate(),
            },
        )


def render_forms_pdf(households: list[Household], *, full_ids: bool) -> bytes:
    """One PDF, each household's form starting on a new page."""
    from weasyprint import HTML  # loaded on the first PDF: about a second, and the system's pango

    html = render_forms_html(households, full_ids=full_ids)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def form_filename(household: Household) -> str:
    return f"贫困户登记表_{household.number}_{household.head_name or '户'}.pdf"
