"""The registry's forms: they check input and say in Chinese what is wrong; saving goes through services.

Fields and labels come from the models (the national form's wording); the services
re-check everything and their refusals are put back on the fields they concern.
"""

from django import forms
from django.forms.models import fields_for_model
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fupin.core import formats, idnumber
from fupin.core.forms import DateBox, ServiceForm

from . import codes
from .models import GUARANTEE_LABELS, GUARANTEES, Household, IncomeRecord, Member
from .selectors import INCOME_BANDS

INCOME_BAND_LABELS = {
    "below_3000": _("3000元以下"),
    "3000_4000": _("3000–4000元"),
    "4000_5000": _("4000–5000元"),
    "5000_8000": _("5000–8000元"),
    "above_8000": _("8000元及以上"),
    "none": _("未录入收入"),
}
assert set(INCOME_BAND_LABELS) == set(INCOME_BANDS)


# The words seed 001 (篇1) uses for two household types, shown beside the national label so a clerk finds
# them.
SEED_WORDS = {
    codes.HouseholdType.DIBAO_POOR: _("低保贫困户（扶贫低保户）"),
    codes.HouseholdType.WUBAO: _("特困供养贫困户（五保户）"),
}


def household_type_choices() -> list[tuple[str, str]]:
    return [(t.value, SEED_WORDS.get(t, t.label)) for t in codes.HouseholdType]


class HouseholdTypeField(forms.ChoiceField):
    """A household type given as its code, its label or a word the seeds use (五保户, 扶贫低保户:
    codes.ALIASES), as imports and the API take it; the code is what is kept."""

    def to_python(self, value):
        value = super().to_python(value)
        return (codes.lookup(codes.HouseholdType, value) or value) if value else value


def _any(label, choices):
    return [("", label)] + list(choices)


class HouseholdFilterForm(forms.Form):
    """The household list's search and filters (GET); an invalid value is dropped, never an error page."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("姓名、身份证号或拼音首字母"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(
        label=_("户状态"), required=False, choices=_any(_("全部状态"), codes.HouseholdStatus.choices)
    )
    household_type = HouseholdTypeField(
        label=_("贫困户属性"), required=False, choices=_any(_("全部属性"), household_type_choices())
    )
    cause = forms.ChoiceField(
        label=_("主要致贫原因"), required=False, choices=_any(_("全部致贫原因"), codes.PovertyCause.choices)
    )
    income_band = forms.ChoiceField(
        label=_("年人均纯收入"), required=False, choices=_any(_("全部收入"), INCOME_BAND_LABELS.items())
    )

    def filters(self) -> tuple[dict, list[str]]:
        """The valid filters as selector arguments, and the labels of those that were ignored."""
        self.is_valid()
        valid = {name: value for name, value in self.cleaned_data.items() if value}
        ignored = [str(self.fields[name].label) for name in self.errors]
        return valid, ignored


HOUSEHOLD_SECTIONS = [
    (
        _("基本情况"),
        [
            "group",
            "status",
            "household_type",
            "identification_standard",
            "primary_cause",
            "other_causes",
            "address",
            "phone",
            "bank_name",
            "bank_account",
            "is_military_family",
            "is_only_child",
            "is_two_daughters",
        ],
    ),
    (
        _("生产生活条件"),
        [
            "farmland_area",
            "irrigated_area",
            "forest_area",
            "returned_forest_area",
            "pasture_area",
            "water_area",
            "road_distance_km",
            "road_type",
            "has_electricity",
            "has_broadcast_tv",
            "water_difficult",
            "water_safe",
            "fuel_type",
            "has_sanitary_toilet",
            "in_cooperative",
        ],
    ),
    (_("住房"), ["housing_area", "is_dangerous_house"]),
    (_("识别/脱贫年度"), ["registration_year", "exit_year"]),
]
HOUSEHOLD_FIELDS = [name for _title, names in HOUSEHOLD_SECTIONS for name in names]


# Shown on the form, never inputs: they change only through the procedures or a change request.
KEY_FIELDS = ("status", "household_type", "registration_year", "exit_year")


class HouseholdForm(ServiceForm):
    """A household's own fields, for a household in `village` (whose groups are the choices).

    The key facts (status, type, years) are no fields of the form: a posted value for them is
    ignored, and the service refuses them anyway. `key_facts` lists them for showing.
    """

    sections = HOUSEHOLD_SECTIONS

    def __init__(self, *args, village, groups, household: Household | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village
        self.groups = {g.code: g for g in groups}
        self.household = household
        inputs = [f for f in HOUSEHOLD_FIELDS if f not in ("group", "other_causes", *KEY_FIELDS)]
        self.fields.update(fields_for_model(Household, fields=inputs))
        self.fields["group"] = forms.ChoiceField(
            label=Household._meta.get_field("group").verbose_name,
            required=False,
            choices=[("", _("（不分组）"))] + [(g.code, g.name) for g in groups],
        )
        self.fields["other_causes"] = forms.MultipleChoiceField(
            label=Household._meta.get_field("other_causes").verbose_name,
            required=False,
            choices=codes.PovertyCause.choices,
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields(HOUSEHOLD_FIELDS)

    def key_facts(self) -> list[tuple[str, str]]:
        """(label, value) of the key facts, read-only: the household's, or a new household's start."""
        household = self.household or Household(status=codes.HouseholdStatus.UNREGISTERED)
        out = []
        for name in KEY_FIELDS:
            field = Household._meta.get_field(name)
            value = getattr(household, f"get_{name}_display")() if field.choices else getattr(household, name)
            out.append((field.verbose_name, value if value not in (None, "") else "—"))
        return out

    @classmethod
    def initial_for(cls, household: Household) -> dict:
        initial = {
            name: getattr(household, name) for name in HOUSEHOLD_FIELDS if name not in ("group", *KEY_FIELDS)
        }
        initial["group"] = household.group_id or ""
        return initial

    def clean_group(self):
        code = self.cleaned_data["group"]
        return self.groups.get(code) if code else None

    def clean(self):
        cleaned = super().clean()
        primary = cleaned.get("primary_cause")
        if primary and cleaned.get("other_causes"):
            # the main cause is not repeated among the others
            cleaned["other_causes"] = [c for c in cleaned["other_causes"] if c != primary]
        return cleaned


MEMBER_SECTIONS = [
    (
        _("身份"),
        ["name", "id_number", "relation", "ethnicity", "political_status", "phone", "is_active_military"],
    ),
    (_("教育与健康"), ["education", "schooling", "health", "disability_category", "disability_level"]),
    (_("劳动与务工"), ["labour_skill", "work_status", "work_months"]),
    (
        _("参保情况"),
        [
            "has_medical_insurance",
            "has_serious_illness_insurance",
            "has_pension_insurance",
            "has_accident_insurance",
        ],
    ),
]
MEMBER_FIELDS = [name for _title, names in MEMBER_SECTIONS for name in names]


class MemberForm(ServiceForm):
    """A member's fields; sex and birth date are read from the ID number, never typed."""

    sections = MEMBER_SECTIONS

    id_number = forms.CharField(
        label=Member._meta.get_field("id_number").verbose_name,
        help_text=_("18位居民身份证号，性别和出生日期由此自动识别"),
        template_name="registry/id_number_field.html",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "maxlength": 20,
                "class": "mono",
                "hx-post": reverse_lazy("registry:id_check"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#id-check",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(Member, fields=[f for f in MEMBER_FIELDS if f != "id_number"])
        self.fields.update(fields)
        self.fields["work_months"].widget.attrs.update({"inputmode": "numeric", "min": 0, "max": 12})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.order_fields(MEMBER_FIELDS)

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        return {name: getattr(member, name) for name in MEMBER_FIELDS}

    def lock_identity(self) -> None:
        """A registered household's member: the ID number and name are shown, not edited (the service refuses
        a change anyway); they are corrected by a reviewed change request."""
        for name in ("id_number", "name"):
            field = self.fields[name]
            field.widget.attrs = {k: v for k, v in field.widget.attrs.items() if not k.startswith("hx-")} | {
                "readonly": True
            }
            field.help_text = _("已建档立卡户的成员身份证号、姓名经“更正成员身份信息”变更申请更正")

    def clean_id_number(self):
        """The same GB 11643 check the services and the import run, so the message is the same everywhere."""
        try:
            return idnumber.parse(self.cleaned_data["id_number"]).number
        except idnumber.IdNumberError as e:
            raise forms.ValidationError(str(e)) from None

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def service_fields(self) -> dict:
        # sex and birth date: left empty, the service reads them from the ID number
        return dict(self.cleaned_data) | {"sex": "", "birth_date": None}


REMOVAL_REASONS = [
    ("death", _("死亡")),
    ("married_out", _("婚出")),
    ("moved_out", _("户籍迁出")),
    ("enlisted", _("参军")),
    ("imprisoned", _("服刑")),
    ("other", _("其他")),
]


class RemoveMemberForm(ServiceForm):
    reason = forms.ChoiceField(label=_("减员原因"), choices=[("", _("请选择"))] + REMOVAL_REASONS)
    detail = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如日期、去向、证明材料；原因为“其他”时必填"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "other" and not (cleaned.get("detail") or "").strip():
            self.add_error("detail", _("原因为“其他”时请说明具体情况"))
        return cleaned

    def reason_text(self) -> str:
        """The reason as the audit trail keeps it: in Chinese, whatever the page's language."""
        with translation.override("zh-hans"):
            text = str(dict(REMOVAL_REASONS)[self.cleaned_data["reason"]])
        detail = (self.cleaned_data.get("detail") or "").strip()
        return f"{text}：{detail}" if detail else text


INCOME_SECTIONS = [
    (_("收入"), ["wages", "production", "property_income"]),
    (_("转移性收入"), list(IncomeRecord.TRANSFER_FIELDS)),
    (_("支出与人口"), ["productive_expenditure", "household_size"]),
    (_("确认"), ["confirm_zero"]),
]


def _year_choices():
    this_year = timezone.localdate().year
    return [(y, str(y)) for y in range(this_year, 1999, -1)]


class IncomeForm(ServiceForm):
    """A year's incomes and productive expenditure; the per-capita net income is derived by the service."""

    sections = [(_("年度"), ["year"])] + INCOME_SECTIONS

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=_year_choices)

    def __init__(self, *args, household_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        money = fields_for_model(
            IncomeRecord, fields=list(IncomeRecord.INCOME_FIELDS) + ["productive_expenditure"]
        )
        for field in money.values():
            field.required = False  # an empty amount is nought
            field.widget.attrs.update({"inputmode": "decimal", "min": "0", "step": "0.01"})
            field.validators.append(_not_negative)
        for name, field in money.items():  # fupin.js sums them into the live per-person figure
            field.widget.attrs["data-income"] = "subtract" if name == "productive_expenditure" else "add"
        self.fields.update(money)
        self.fields["household_size"] = forms.IntegerField(
            label=IncomeRecord._meta.get_field("household_size").verbose_name,
            required=False,
            min_value=1,
            max_value=99,
            help_text=_("留空则按当前家庭人口数（%(size)s人）计算") % {"size": household_size},
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-income-size": str(household_size)}),
        )
        self.fields["confirm_zero"] = forms.BooleanField(
            label=_("确认该户全年收入为 0 元"),
            required=False,
            help_text=_("各项收入都为 0 或空白时须勾选，以免漏填的收入被当作 0 保存"),
        )

    def show_previous(self, previous: IncomeRecord | None) -> None:
        """Each amount's field says what it was in the household's record of the year before."""
        if previous is None:
            return
        for name in IncomeRecord.INCOME_FIELDS + ("productive_expenditure",):
            self.fields[name].help_text = _("%(year)s年：%(amount)s 元") % {
                "year": previous.year,
                "amount": formats.yuan(getattr(previous, name)),
            }

    def clean(self):
        data = super().clean()
        amounts = [data.get(name) for name in IncomeRecord.INCOME_FIELDS]
        if not self.errors and not any(amounts) and not data.get("confirm_zero"):
            self.add_error(
                "confirm_zero", _("各项收入合计为 0 元。如确实没有收入，请勾选确认；否则请填写收入。")
            )
        return data

    @classmethod
    def initial_for(cls, income: IncomeRecord) -> dict:
        initial = {f: getattr(income, f) for f in IncomeRecord.INCOME_FIELDS + ("productive_expenditure",)}
        return initial | {"year": income.year, "household_size": income.household_size}

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v is not None and k != "confirm_zero"}


def _not_negative(value):
    if value is not None and value < 0:
        raise forms.ValidationError(_("金额不能为负数"))


MET_CHOICES = [("1", _("达标")), ("0", _("未达标"))]


class GuaranteeForm(ServiceForm):
    """The 两不愁三保障 + drinking-water checklist of one year: met or not, with a note where not."""

    # the service names the checklist item; its message belongs next to the item's note
    error_fields = {item: f"{item}_note" for item in GUARANTEES}

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=_year_choices)
    checked_on = forms.DateField(label=_("核查日期"), widget=DateBox())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in GUARANTEES:
            self.fields[item] = forms.TypedChoiceField(
                label=GUARANTEE_LABELS[item],
                choices=MET_CHOICES,
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect(attrs={"class": "met"}),
            )
            self.fields[f"{item}_note"] = forms.CharField(
                label=_("情况说明"),
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"placeholder": _("未达标时必填")}),
            )

    def items(self):
        """[(item bound field, note bound field)] in the checklist's order."""
        return [(self[item], self[f"{item}_note"]) for item in GUARANTEES]

    @classmethod
    def initial_for(cls, check) -> dict:
        initial = {"year": check.year, "checked_on": check.checked_on}
        for item in GUARANTEES:
            initial[item] = "1" if getattr(check, item) else "0"
            initial[f"{item}_note"] = (check.notes or {}).get(item, "")
        return initial

    @classmethod
    def blank_initial(cls, year: int) -> dict:
        return {"year": year, "checked_on": timezone.localdate()} | {item: "1" for item in GUARANTEES}

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "year": data["year"],
            "checked_on": data["checked_on"],
            "items": {item: data[item] for item in GUARANTEES},
            "notes": {item: data[f"{item}_note"] for item in GUARANTEES if data.get(f"{item}_note")},
        }
