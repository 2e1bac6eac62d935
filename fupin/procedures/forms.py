"""Forms of the procedure pages; per-household fields (votes, exceptions) are parsed by views.parse_*."""

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import DateBox
from fupin.registry import codes
from fupin.registry.forms import HouseholdTypeField, household_type_choices

from .models import AllocationBasis, DayRule, Procedure, VillageProfile


class OpenBatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("程序"), choices=Procedure.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2013, max_value=2100)
    village = forms.CharField(label=_("行政村代码"), max_length=12, required=False)


class AddHouseholdsForm(forms.Form):
    households = forms.TypedMultipleChoiceField(label=_("户"), coerce=int, choices=())
    source = forms.ChoiceField(
        label=_("来源"),
        choices=(
            ("self", gettext_lazy("农户自愿申请")),
            ("village", gettext_lazy("村两委/工作队提名")),
            ("look_back", gettext_lazy("回头看排查")),
        ),
        required=False,
    )
    applied_on = forms.DateField(label=_("申请日期"), required=False, widget=DateBox())
    statement = forms.CharField(label=_("申请理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    proposed_type = HouseholdTypeField(
        label=_("拟定贫困户属性"), choices=[("", "—")] + household_type_choices(), required=False
    )
    primary_cause = forms.ChoiceField(
        label=_("主要致贫（返贫）原因"), choices=[("", "—")] + codes.PovertyCause.choices, required=False
    )
    form = forms.FileField(label=_("申请书（可选）"), required=False)

    def __init__(self, *args, household_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = household_choices


class AppraisalForm(forms.Form):
    held_on = forms.DateField(label=_("会议日期"), widget=DateBox())
    representatives = forms.IntegerField(label=_("应到代表"), min_value=1, max_value=10000)
    present = forms.IntegerField(label=_("实到代表"), min_value=0, max_value=10000)
    chaired_by = forms.CharField(label=_("主持人"), max_length=50, required=False)
    minutes = forms.FileField(label=_("会议记录"))


class ObjectionForm(forms.Form):
    entry = forms.IntegerField(label=_("涉及的户"), required=False)
    objector = forms.CharField(label=_("异议人（可匿名）"), max_length=50, required=False)
    raised_on = forms.DateField(label=_("提出日期"), required=False, widget=DateBox())
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处理结果"),
        choices=(
            ("upheld", gettext_lazy("异议成立（该户移出名单）")),
            ("rejected", gettext_lazy("异议不成立")),
        ),
    )
    resolution = forms.CharField(label=_("核查情况与理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    entry = forms.IntegerField(required=False)


class AllocationForm(forms.Form):
    persons = forms.IntegerField(label=_("人数"), min_value=0, max_value=100_000_000)
    basis = forms.ChoiceField(label=_("分解依据"), choices=AllocationBasis.choices)


class VillageProfileForm(forms.ModelForm):
    class Meta:
        model = VillageProfile
        fields = [
            "households",
            "population",
            "rural_population",
            "estimated_poor",
            "estimated_incidence",
            "collective_income",
            "has_hardened_road",
            "has_bus",
            "has_safe_water",
            "has_electricity",
            "has_clinic",
            "has_broadband",
            "has_activity_venue",
        ]


class SettingsForm(forms.Form):
    notice_days = forms.IntegerField(label=_("公示天数"), min_value=7, max_value=30)
    day_rule = forms.ChoiceField(label=_("计日方式"), choices=DayRule.choices)
    holidays = forms.CharField(
        label=_("法定节假日（每行一个日期）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    extra_workdays = forms.CharField(
        label=_("调休上班日（每行一个日期）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    survey_deadline = forms.CharField(label=_("收入和保障复核截止（次年 月-日）"), max_length=5)
    update_deadline = forms.CharField(label=_("信息更新截止（次年 月-日）"), max_length=5)
    supervision_phone = forms.RegexField(
        label=_("监督举报电话"),
        required=False,
        max_length=40,
        regex=r"^[0-9（）()\-— ]*$",
        error_messages={"invalid": _("请填写电话号码，如 0797-3312317")},
        help_text=_("印在公示、公告上；不填则印全国扶贫监督举报电话 12317"),
    )
