"""Forms of the declaration pages: they parse input for a service call and never save models themselves."""

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import ServiceForm
from fupin.monitoring.models import MonitoringKind

from .models import STAFF_CHANNELS, Channel, Hardship, Route

PHOTOS = {"accept": "image/jpeg,image/png,image/webp"}  # judged by content in the service (core.images)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class PublicForm(ServiceForm):
    """The household's form, in plain words, for a cheap phone (no script needed)."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    id_number = forms.CharField(
        label=gettext_lazy("身份证号"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("手机号"),
        max_length=13,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=gettext_lazy("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        help_text=gettext_lazy("先填手机号，点“获取验证码”"),
    )
    hardship = forms.ChoiceField(
        label=gettext_lazy("遇到了什么困难"),
        choices=Hardship.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("简单说说情况"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultipleFileField(
        label=gettext_lazy("照片（可不传，最多3张）"), required=False, widget=MultipleFileInput(attrs=PHOTOS)
    )
    consent = forms.BooleanField(
        label=gettext_lazy("我同意村、乡镇、县有关部门核查我家的收入、财产、医疗、教育等情况"), required=False
    )


class StatusForm(forms.Form):
    receipt = forms.CharField(
        label=gettext_lazy("回执号"), max_length=14, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    last4 = forms.CharField(label=gettext_lazy("身份证号后4位"), max_length=4, min_length=4)


class IntakeForm(ServiceForm):
    channel = forms.ChoiceField(label=_("申报渠道"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    village_code = forms.CharField(label=_("行政村代码"), max_length=12, help_text=_("12位统计用区划代码"))
    name = forms.CharField(label=_("申报人姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=13, required=False)
    hardship = forms.ChoiceField(label=_("困难类别"), choices=Hardship.choices)
    description = forms.CharField(
        label=_("情况说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.BooleanField(label=_("已取得申报人授权核查家庭情况"), required=False)


class VisitForm(ServiceForm):
    findings = forms.CharField(
        label=_("入户核实情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(
        label=_("现场照片（最多3张）"), required=False, widget=MultipleFileInput(attrs=PHOTOS)
    )


class VerifyForm(ServiceForm):
    route = forms.TypedChoiceField(
        label=_("核实属实后进入"),
        choices=Route.choices,
        initial=Route.MONITORING,
        empty_value=Route.MONITORING,  # a form posted without the choice keeps the default procedure
        required=False,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("监测对象类别（纳入监测时）"),
        choices=[("", _("按户状态确定"))] + MonitoringKind.choices,
        required=False,
    )
    findings = forms.CharField(
        label=_("补充核实情况"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(ServiceForm):
    reason = forms.CharField(
        label=_("不予纳入理由（将短信告知申报人）"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


CHANNEL_LABELS = dict(Channel.choices)
