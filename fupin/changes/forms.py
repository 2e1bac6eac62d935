"""The change request pages' forms: one per kind, each turning its fields into the request's payload.

The forms check shape and say in Chinese what is missing; the services check the change against
the registry as it is and their refusals land back on the fields they concern.
"""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from fupin.core import idnumber
from fupin.core.forms import DateBox, ServiceForm
from fupin.registry import codes
from fupin.registry.forms import MET_CHOICES, HouseholdTypeField, MemberForm, household_type_choices
from fupin.registry.models import GUARANTEE_LABELS, GUARANTEES, IncomeRecord, Member

from .evidence import MAX_FILES
from .models import ChangeKind, ChangeStatus, JoinCause, LeaveCause

RELATIONS_BUT_HEAD = [(v, label) for v, label in codes.Relation.choices if v != codes.Relation.HEAD]
PLEASE = [("", _("请选择"))]
MONEY = {"max_digits": 11, "decimal_places": 2, "min_value": 0, "required": False}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files at once; their content is judged by the service (changes.evidence)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RequestFields(forms.Form):
    """What every request carries: its reason and its evidence."""

    reason = forms.CharField(
        label=_("变更原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明变更的事实和依据，审核人据此核实"),
        error_messages={"required": _("请填写变更原因")},
    )
    evidence = EvidenceField(
        label=_("佐证材料"),
        required=False,
        help_text=lazy(
            lambda: (
                _("图片（JPG、PNG）或 PDF，可多选，每个不超过10MB，每项申请最多%(n)s个") % {"n": MAX_FILES}
            ),
            str,
        )(),
    )
    evidence_reference = forms.CharField(
        label=_("佐证材料说明"),
        max_length=300,
        required=False,
        help_text=_("无法上传时，写明证明材料的名称、文号或存放处"),
    )


REQUEST_SECTION = (_("变更原因与佐证材料"), ["reason", "evidence", "evidence_reference"])


class KindForm(ServiceForm, RequestFields):
    """A kind's form: `household` is the household the request is for; `lookup(number)` finds another in
    scope."""

    def __init__(self, *args, household, lookup=None, **kwargs):
        self.household = household
        self.lookup = lookup
        super().__init__(*args, **kwargs)

    def _member_choices(self, *, exclude_head=False):
        members = self.household.members.order_by("pk")
        if exclude_head:
            members = members.exclude(relation=codes.Relation.HEAD)
        return PLEASE + [(str(m.pk), f"{m.name}（{m.get_relation_display()}）") for m in members]

    def _other(self, name: str):
        number = (self.cleaned_data.get(name) or "").strip()
        other = self.lookup(number) if self.lookup and number else None
        if other is None:
            raise forms.ValidationError(
                _("没有找到户编号为 %(number)s 的户（须在您的管辖范围内）") % {"number": number}
            )
        return other.pk

    @classmethod
    def initial_from(cls, payload: dict, before: dict) -> dict:
        """A returned request's form starts from what was proposed (`before`: what it was made against)."""
        return dict(payload)


class MemberJoinForm(MemberForm, RequestFields):
    """增员: the new member's full data, checked as the registry checks a member."""

    cause = forms.ChoiceField(label=_("增员原因"), choices=PLEASE + JoinCause.choices)

    def __init__(self, *args, household, lookup=None, **kwargs):
        self.household = household
        super().__init__(*args, **kwargs)
        self.sections = [(_("增员原因"), ["cause"])] + list(self.sections) + [REQUEST_SECTION]
        self.order_fields(["cause"])

    def payload(self) -> dict:
        member = {
            k: v
            for k, v in self.service_fields().items()
            if k not in ("cause", "reason", "evidence", "evidence_reference")
        }
        return {"cause": self.cleaned_data["cause"], "member": member}

    @classmethod
    def initial_from(cls, payload: dict, before: dict) -> dict:
        return {"cause": payload.get("cause")} | dict(payload.get("member") or {})


class MemberLeaveForm(KindForm):
    sections = [(_("减员"), ["member_id", "cause", "new_head_id"]), REQUEST_SECTION]
    member_id = forms.ChoiceField(label=_("减员的成员"))
    cause = forms.ChoiceField(label=_("减员原因"), choices=PLEASE + LeaveCause.choices)
    new_head_id = forms.ChoiceField(label=_("新户主"), required=False, help_text=_("减员的是户主时须指定"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_id"].choices = self._member_choices()
        self.fields["new_head_id"].choices = self._member_choices(exclude_head=True)

    def payload(self) -> dict:
        c = self.cleaned_data
        return {"member_id": c["member_id"], "cause": c["cause"], "new_head_id": c["new_head_id"] or None}


class ChangeHeadForm(KindForm):
    sections = [(_("变更户主"), ["new_head_id", "former_head_relation"]), REQUEST_SECTION]
    new_head_id = forms.ChoiceField(label=_("新户主"))
    former_head_relation = forms.ChoiceField(
        label=_("原户主与新户主的关系"), choices=PLEASE + RELATIONS_BUT_HEAD, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head_id"].choices = self._member_choices(exclude_head=True)

    def payload(self) -> dict:
        c = self.cleaned_data
        return {"new_head_id": c["new_head_id"], "former_head_relation": c["former_head_relation"] or None}


class MoveMemberForm(KindForm):
    sections = [(_("成员转户"), ["member_id", "target_number", "relation"]), REQUEST_SECTION]
    error_fields = {"target_household_id": "target_number"}
    member_id = forms.ChoiceField(label=_("转出的成员"))
    target_number = forms.CharField(
        label=_("迁入户的户编号"), max_length=20, widget=forms.TextInput(attrs={"class": "mono"})
    )
    relation = forms.ChoiceField(label=_("在迁入户中与户主关系"), choices=PLEASE + codes.Relation.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_id"].choices = self._member_choices()

    def clean_target_number(self):
        return self._other("target_number")

    def payload(self) -> dict:
        c = self.cleaned_data
        return {
            "member_id": c["member_id"],
            "target_household_id": c["target_number"],
            "relation": c["relation"],
        }

    @classmethod
    def initial_from(cls, payload, before):
        return dict(payload) | {"target_number": (before.get("target") or {}).get("number", "")}


class SplitHouseholdForm(KindForm):
    """分户: for each member, stay (empty) or their relation to the new household's head."""

    error_fields = {"relations": None}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_fields = []
        for m in self.household.members.order_by("pk"):
            name = f"m{m.pk}"
            self.fields[name] = forms.ChoiceField(
                label=f"{m.name}（{m.get_relation_display()}）",
                required=False,
                choices=[("", _("留在原户"))]
                + [(v, _("分出：%(relation)s") % {"relation": label}) for v, label in codes.Relation.choices],
            )
            self.member_fields.append(name)
        self.sections = [(_("分出的成员及其与新户主的关系"), self.member_fields), REQUEST_SECTION]

    def payload(self) -> dict:
        return {
            "relations": {
                name[1:]: self.cleaned_data[name]
                for name in self.member_fields
                if self.cleaned_data.get(name)
            }
        }

    @classmethod
    def initial_from(cls, payload, before):
        return {f"m{pk}": relation for pk, relation in (payload.get("relations") or {}).items()}


class MergeHouseholdsForm(KindForm):
    sections = [(_("合户"), ["other_number", "absorbed_head_relation"]), REQUEST_SECTION]
    error_fields = {"other_household_id": "other_number"}
    other_number = forms.CharField(
        label=_("并入本户的户编号"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "mono"}),
        help_text=_("该户的成员全部并入本户，该户改为“已清退”"),
    )
    absorbed_head_relation = forms.ChoiceField(
        label=_("该户户主与本户户主的关系"), choices=PLEASE + RELATIONS_BUT_HEAD
    )

    def clean_other_number(self):
        return self._other("other_number")

    def payload(self) -> dict:
        c = self.cleaned_data
        return {
            "other_household_id": c["other_number"],
            "absorbed_head_relation": c["absorbed_head_relation"],
        }

    @classmethod
    def initial_from(cls, payload, before):
        return dict(payload) | {"other_number": (before.get("other") or {}).get("number", "")}


class TypeChangeForm(KindForm):
    sections = [(_("贫困户属性"), ["household_type"]), REQUEST_SECTION]
    household_type = HouseholdTypeField(
        label=_("变更后的贫困户属性"), choices=PLEASE + household_type_choices()
    )

    def payload(self) -> dict:
        return {"household_type": self.cleaned_data["household_type"]}


class StatusCorrectionForm(KindForm):
    sections = [(_("更正后的户状态"), ["status", "registration_year", "exit_year"]), REQUEST_SECTION]
    status = forms.ChoiceField(
        label=_("户状态"),
        choices=PLEASE + codes.HouseholdStatus.choices,
        help_text=_("如错评户更正为“已清退”"),
    )
    registration_year = forms.IntegerField(
        label=_("识别年度"), required=False, min_value=2000, max_value=2100
    )
    exit_year = forms.IntegerField(label=_("脱贫年度"), required=False, min_value=2000, max_value=2100)

    def payload(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("status", "registration_year", "exit_year")}


class IncomeCorrectionForm(KindForm):
    error_fields = {"year": "year"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = list(self.household.incomes.order_by("-year").values_list("year", flat=True))
        self.fields["year"] = forms.TypedChoiceField(
            label=_("更正的年度"),
            coerce=int,
            choices=PLEASE + [(y, _("%(year)s年") % {"year": y}) for y in years],
        )
        for name in (*IncomeRecord.INCOME_FIELDS, "productive_expenditure"):
            self.fields[name] = forms.DecimalField(
                label=IncomeRecord._meta.get_field(name).verbose_name, **MONEY
            )
        self.fields["household_size"] = forms.IntegerField(label=_("家庭人口数"), min_value=1, max_value=99)
        names = ["year", *IncomeRecord.INCOME_FIELDS, "productive_expenditure", "household_size"]
        self.sections = [(_("更正后的收入（元）"), names), REQUEST_SECTION]
        self.order_fields(names)

    def payload(self) -> dict:
        c = self.cleaned_data
        values = {n: f"{c.get(n) or 0:.2f}" for n in (*IncomeRecord.INCOME_FIELDS, "productive_expenditure")}
        return {"year": c["year"], "household_size": c["household_size"]} | values


class MemberIdentityForm(KindForm):
    """更正成员身份信息: the member's ID number and name as the documents give them."""

    sections = [(_("更正成员身份信息"), ["member_id", "id_number", "name"]), REQUEST_SECTION]
    member_id = forms.ChoiceField(label=_("更正的成员"))
    id_number = forms.CharField(
        label=_("更正后的身份证号"),
        max_length=20,
        help_text=_("性别和出生日期由身份证号识别"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    name = forms.CharField(label=_("更正后的姓名"), max_length=Member._meta.get_field("name").max_length)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_id"].choices = self._member_choices()

    def clean_id_number(self):
        """The registry's GB 11643 check, with its message."""
        try:
            return idnumber.parse(self.cleaned_data["id_number"]).number
        except idnumber.IdNumberError as e:
            raise forms.ValidationError(str(e)) from None

    def payload(self) -> dict:
        c = self.cleaned_data
        return {"member_id": c["member_id"], "id_number": c["id_number"], "name": c["name"].strip()}


class GuaranteeCorrectionForm(KindForm):
    """更正两不愁三保障: a year's checklist, met or not, with a note where not."""

    error_fields = {item: f"{item}_note" for item in GUARANTEES}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = list(self.household.guarantee_checks.order_by("-year").values_list("year", flat=True))
        self.fields["year"] = forms.TypedChoiceField(
            label=_("更正的年度"),
            coerce=int,
            choices=PLEASE + [(y, _("%(year)s年") % {"year": y}) for y in years],
        )
        self.fields["checked_on"] = forms.DateField(label=_("核查日期"), widget=DateBox())
        names = ["year", "checked_on"]
        for item in GUARANTEES:
            self.fields[item] = forms.TypedChoiceField(
                label=GUARANTEE_LABELS[item],
                choices=MET_CHOICES,
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"{item}_note"] = forms.CharField(
                label=_("情况说明"),
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"placeholder": _("未达标时必填")}),
            )
            names += [item, f"{item}_note"]
        self.sections = [(_("更正后的两不愁三保障核查"), names), REQUEST_SECTION]
        self.order_fields(names)

    def payload(self) -> dict:
        c = self.cleaned_data
        return {
            "year": c["year"],
            "checked_on": c["checked_on"].isoformat(),
            "items": {item: c[item] for item in GUARANTEES},
            "notes": {item: c[f"{item}_note"] for item in GUARANTEES if c.get(f"{item}_note")},
        }

    @classmethod
    def initial_from(cls, payload, before):
        return guarantee_initial(payload)


def guarantee_initial(values: dict) -> dict:
    initial = {"year": values.get("year"), "checked_on": values.get("checked_on")}
    for item in GUARANTEES:
        met = (values.get("items") or {}).get(item, True)
        initial[item] = "1" if met else "0"
        initial[f"{item}_note"] = (values.get("notes") or {}).get(item, "")
    return initial


FORMS = {
    ChangeKind.MEMBER_JOIN: MemberJoinForm,
    ChangeKind.MEMBER_LEAVE: MemberLeaveForm,
    ChangeKind.CHANGE_HEAD: ChangeHeadForm,
    ChangeKind.MOVE_MEMBER: MoveMemberForm,
    ChangeKind.SPLIT_HOUSEHOLD: SplitHouseholdForm,
    ChangeKind.MERGE_HOUSEHOLDS: MergeHouseholdsForm,
    ChangeKind.TYPE_CHANGE: TypeChangeForm,
    ChangeKind.STATUS_CORRECTION: StatusCorrectionForm,
    ChangeKind.INCOME_CORRECTION: IncomeCorrectionForm,
    ChangeKind.MEMBER_IDENTITY: MemberIdentityForm,
    ChangeKind.GUARANTEE_CORRECTION: GuaranteeCorrectionForm,
}


def initial_for(kind: str, household) -> dict:
    """What a new request's form starts from: the household's current values where the kind edits them."""
    if kind == ChangeKind.STATUS_CORRECTION:
        return {
            "status": household.status,
            "registration_year": household.registration_year,
            "exit_year": household.exit_year,
        }
    if kind == ChangeKind.INCOME_CORRECTION:
        income = household.incomes.order_by("-year").first()
        if income is not None:
            return {
                f: getattr(income, f)
                for f in (*IncomeRecord.INCOME_FIELDS, "productive_expenditure", "household_size", "year")
            }
    if kind == ChangeKind.GUARANTEE_CORRECTION:
        check = household.guarantee_checks.order_by("-year").first()
        if check is not None:
            return guarantee_initial(
                {
                    "items": {g: getattr(check, g) for g in GUARANTEES},
                    "year": check.year,
                    "checked_on": check.checked_on,
                    "notes": check.notes,
                }
            )
    return {}


class EvidenceForm(ServiceForm):
    evidence = EvidenceField(
        label=_("补充佐证材料"), help_text=_("图片（JPG、PNG）或 PDF，可多选，每个不超过10MB")
    )


class DecisionForm(ServiceForm):
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("退回时必填：说明需要修改或补充什么"),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态"))] + ChangeStatus.choices
    )
    kind = forms.ChoiceField(
        label=_("变更类型"), required=False, choices=[("", _("全部类型"))] + ChangeKind.choices
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
