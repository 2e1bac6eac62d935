"""Forms for monitoring pages: they parse input for a service call, never save models themselves."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import DateBox, ServiceForm

from .models import (
    CHECK_ITEM_LABELS,
    CHECK_ITEMS,
    Decision,
    Department,
    MonitoringKind,
    MonitoringMeasure,
    MonitoringSource,
    ProblemSource,
    RiskEvent,
)

DATE = DateBox()  # the value a date input reads
EVIDENCE = forms.ClearableFileInput(
    attrs={"accept": "image/jpeg,image/png,application/pdf"}
)  # checked by content in the service


class UploadForm(ServiceForm):
    department = forms.ChoiceField(
        label=_("部门"), choices=[c for c in Department.choices if c[0] != Department.REGISTRY]
    )
    county = forms.CharField(
        label=_("发往的县（区）代码"),
        max_length=6,
        required=False,
        help_text=_("6位区划代码；只有该县扶贫办能用此名单比对"),
    )
    file = forms.FileField(
        label=_("名单文件（CSV 或 .xlsx）"),
        help_text=_("第一行为列名：身份证号（或姓名、出生日期），其余列作为核查依据保留"),
    )


class DecideForm(ServiceForm):
    decision = forms.ChoiceField(
        label=_("核实结论"), choices=[c for c in Decision.choices if c[0] != Decision.PENDING]
    )
    note = forms.CharField(label=_("核实说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    responsible_person = forms.CharField(label=_("整改责任人（转整改时必填）"), required=False, max_length=50)
    deadline = forms.DateField(label=_("整改时限（转整改时必填）"), required=False, widget=DATE)


class ProblemForm(ServiceForm):
    source = forms.ChoiceField(
        label=_("问题来源"),
        choices=[
            c for c in ProblemSource.choices if c[0] in (ProblemSource.INSPECTION, ProblemSource.MANUAL)
        ],
    )
    region_code = forms.CharField(label=_("所在区划代码"), max_length=15)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    responsible_person = forms.CharField(label=_("整改责任人"), max_length=50)
    measure = forms.CharField(
        label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)


class RectifyForm(ServiceForm):
    rectification = forms.CharField(
        label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    evidence = forms.FileField(label=_("整改佐证"), required=False, widget=EVIDENCE)


class CloseForm(ServiceForm):
    note = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class SweepForm(ServiceForm):
    year = forms.IntegerField(label=_("年度"), min_value=2013, max_value=timezone.localdate().year)


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReportForm(ServiceForm):
    kind = forms.ChoiceField(label=_("监测对象类别"), choices=MonitoringKind.choices)
    source = forms.ChoiceField(label=_("发现途径"), choices=MonitoringSource.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2013, max_value=timezone.localdate().year)
    risk_description = forms.CharField(
        label=_("风险情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NoteForm(ServiceForm):
    note = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MeasureForm(ServiceForm):
    kind = forms.ChoiceField(label=_("措施类别"), choices=MonitoringMeasure.Kind.choices)
    description = forms.CharField(label=_("措施内容"), max_length=300)
    responsible = forms.CharField(label=_("责任人"), max_length=50)
    planned_on = forms.DateField(label=_("计划完成日期"), widget=DATE)


class EliminateForm(ServiceForm):
    note = forms.CharField(label=_("风险消除情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    evidence = forms.FileField(label=_("佐证材料"), widget=EVIDENCE)


class RiskEventForm(ServiceForm):
    kind = forms.ChoiceField(label=_("类别"), choices=RiskEvent.Kind.choices)
    occurred_on = forms.DateField(label=_("发生日期"), widget=DATE)
    amount = forms.DecimalField(label=_("金额或损失（元）"), min_value=0, max_digits=12, decimal_places=2)
    description = forms.CharField(label=_("情况"), max_length=300)


class LookBackForm(ServiceForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    year = forms.IntegerField(label=_("收入年度"), min_value=2013, max_value=timezone.localdate().year)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("截止日期"), widget=DATE)
    income_line = forms.DecimalField(
        label=_("档外人口排查线（元）"), min_value=1, max_digits=12, decimal_places=2, initial=4500
    )


CHOICES_MET = [("1", _("达标")), ("0", _("未达标"))]


class LookBackItemForm(ServiceForm):
    checked_on = forms.DateField(label=_("排查日期"), widget=DATE)
    evidence = forms.FileField(label=_("佐证材料"), required=False, widget=EVIDENCE)
    responsible_person = forms.CharField(label=_("整改责任人（有未达标项时）"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in CHECK_ITEMS:
            self.fields[item] = forms.ChoiceField(
                label=CHECK_ITEM_LABELS[item], choices=CHOICES_MET, widget=forms.RadioSelect
            )
            self.fields[f"note_{item}"] = forms.CharField(label=_("说明"), required=False, max_length=500)

    def results(self) -> tuple[dict, dict]:
        d = self.cleaned_data
        return ({i: d[i] == "1" for i in CHECK_ITEMS}, {i: d.get(f"note_{i}", "") for i in CHECK_ITEMS})
