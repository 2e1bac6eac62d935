"""Forms of the assistance pages: they parse input for a service call; the service decides."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fupin.core.forms import DateBox, ServiceForm
from fupin.registry.models import GUARANTEE_LABELS, GUARANTEES

from .models import BatchKind, HelperKind, MeasureStatus, PlanClass, UnitKind, VisitKind
from .services import DATE_IN_FUTURE, NOTE_MAX_LENGTH

DATE = DateBox()  # <input type=date> needs ISO whatever the locale
MONEY = {
    "max_digits": 12,
    "decimal_places": 2,
    "min_value": 0,
    "required": False,
    "error_messages": {
        "invalid": gettext_lazy("请输入金额（元）"),
        "max_decimal_places": gettext_lazy("金额最多保留两位小数"),
        "min_value": gettext_lazy("金额不能为负数"),
        "max_digits": gettext_lazy("金额过大"),
    },
}


def _region_choices(regions) -> list[tuple[str, str]]:
    return [(r.code, f"{'　' * max(0, len(r.code) // 3 - 2)}{r.name}（{r.code}）") for r in regions]


class UnitForm(ServiceForm):
    name = forms.CharField(label=gettext_lazy("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("单位类型"), choices=UnitKind.choices)
    region = forms.ChoiceField(label=gettext_lazy("帮扶区域"))
    contact_person = forms.CharField(label=gettext_lazy("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("单位地址"), max_length=200, required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _region_choices(regions)


class HelperForm(ServiceForm):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("帮扶单位"),
        queryset=None,
        empty_label=gettext_lazy("请选择"),
        error_messages={"invalid_choice": gettext_lazy("请选择帮扶单位")},
    )
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    kind = forms.ChoiceField(label=gettext_lazy("帮扶身份"), choices=HelperKind.choices)
    position = forms.CharField(label=gettext_lazy("职务"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20)
    region = forms.ChoiceField(
        label=gettext_lazy("工作区域"),
        help_text=gettext_lazy("结对的户须在此区域内；第一书记、驻村工作队员选所驻村"),
    )

    def __init__(self, *args, units=None, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["region"].choices = _region_choices(regions)


class HelperLoginForm(ServiceForm):
    username = forms.CharField(label=gettext_lazy("登录名"), max_length=150)
    # the service checks it with Django's password validators (accounts.services.check_password_allowed)
    password = forms.CharField(
        label=gettext_lazy("初始密码"),
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("至少10位，不能全是数字，不能是常见密码"),
    )


class HelperImportForm(ServiceForm):
    file = forms.FileField(
        label=gettext_lazy("帮扶责任人名单（.xlsx）"),
        help_text=gettext_lazy(
            "第一行为列名：帮扶单位、单位类型、姓名、帮扶身份、职务、联系电话、工作区划代码、登录名"
        ),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(gettext_lazy("请上传 Excel（.xlsx）文件"))
        if f.size > 10 * 1024 * 1024:
            raise forms.ValidationError(gettext_lazy("文件不能超过10MB"))
        return f


class PairForm(ServiceForm):
    helper = forms.TypedChoiceField(label=gettext_lazy("帮扶责任人"), coerce=int)
    started_on = forms.DateField(label=gettext_lazy("结对日期"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, helpers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].choices = [("", gettext_lazy("请选择"))] + [
            (
                h.pk,
                gettext("%(name)s（%(name2)s，已结对%(load)s/%(cap)s户）")
                % {"name": h.name, "name2": h.unit.name, "load": h.load, "cap": h.cap}
                + (gettext_lazy("，已满") if h.full else ""),
            )
            for h in helpers
        ]


class ReassignForm(PairForm):
    reason = forms.CharField(label=gettext_lazy("调整原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_on"].label = gettext_lazy("调整日期")


class EndPairingForm(ServiceForm):
    on = forms.DateField(label=gettext_lazy("解除日期"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=gettext_lazy("解除原因"), max_length=200)


class PlanForm(ServiceForm):
    plan_class = forms.ChoiceField(
        label=gettext_lazy("帮扶类别"),
        choices=PlanClass.choices,
        help_text=gettext_lazy("低保户、五保户中无劳动能力的为政策保障兜底类，其余为发展扶持类"),
    )
    target_exit_year = forms.IntegerField(label=gettext_lazy("计划脱贫年度"), min_value=2014, max_value=2100)
    goals = forms.CharField(
        label=gettext_lazy("脱贫路子与帮扶目标"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MeasureForm(ServiceForm):
    catalogue = forms.ModelChoiceField(
        label=gettext_lazy("措施"),
        queryset=None,
        empty_label=gettext_lazy("请选择"),
        error_messages={"invalid_choice": gettext_lazy("请从目录中选择措施")},
    )
    content = forms.CharField(label=gettext_lazy("具体内容"), max_length=300)
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2014, max_value=2100)
    deadline = forms.DateField(label=gettext_lazy("完成时限"), widget=DATE)
    planned_amount = forms.DecimalField(label=gettext_lazy("计划资金（元）"), **MONEY)
    funding_source = forms.CharField(
        label=gettext_lazy("资金来源"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("如：财政专项扶贫资金、帮扶单位、扶贫小额信贷、自筹"),
    )

    def __init__(self, *args, catalogue=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalogue"].queryset = catalogue
        self.fields["catalogue"].label_from_instance = lambda c: f"{c.get_group_display()}：{c.name}"
        self.fields["year"].initial = timezone.localdate().year


class MeasureProgressForm(ServiceForm):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=MeasureStatus.choices)
    actual_amount = forms.DecimalField(label=gettext_lazy("落实资金（元）"), **MONEY)
    income_increase = forms.DecimalField(label=gettext_lazy("带动增收（元）"), **MONEY)
    completed_on = forms.DateField(label=gettext_lazy("完成日期"), widget=DATE, required=False)
    result = forms.CharField(
        label=gettext_lazy("帮扶成效"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(label=gettext_lazy("完成时限"), widget=DATE)


GUARANTEE_CHOICES = [("", gettext_lazy("未核查")), ("1", gettext_lazy("达标")), ("0", gettext_lazy("未达标"))]


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class VisitForm(ServiceForm):
    visited_on = forms.DateField(label=gettext_lazy("走访日期"), widget=DATE, initial=timezone.localdate)
    kind = forms.ChoiceField(label=gettext_lazy("走访方式"), choices=VisitKind.choices)
    helper = forms.TypedChoiceField(label=gettext_lazy("走访人"), coerce=int, required=False)
    findings = forms.CharField(
        label=gettext_lazy("走访情况"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("家庭生产生活、收入、务工、就医就学等情况"),
    )
    problems = forms.CharField(
        label=gettext_lazy("发现问题及处理"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultipleImageField(
        label=gettext_lazy("照片"),
        required=False,
        help_text=gettext_lazy("可多选，JPG 或 PNG，每张不超过10MB"),
        error_messages={"invalid_image": gettext_lazy("请上传有效的图片文件（JPG、PNG）")},
    )

    def __init__(self, *args, helpers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if helpers is None:
            del self.fields["helper"]
        else:
            self.fields["helper"].choices = [("", gettext_lazy("该户帮扶责任人"))] + [
                (h.pk, f"{h.name}（{h.unit.name}）") for h in helpers
            ]
        for g in GUARANTEES:
            self.fields[f"g_{g}"] = forms.ChoiceField(
                label=str(GUARANTEE_LABELS[g]), choices=GUARANTEE_CHOICES, required=False
            )
            self.fields[f"note_{g}"] = forms.CharField(
                label=gettext_lazy("说明"), required=False, max_length=NOTE_MAX_LENGTH
            )

    def guarantee_rows(self):
        return [(self[f"g_{g}"], self[f"note_{g}"]) for g in GUARANTEES]

    def clean_visited_on(self):
        d = self.cleaned_data["visited_on"]
        if d > timezone.localdate():
            raise forms.ValidationError(
                gettext(DATE_IN_FUTURE)
            )  # the service's words, as the phone shows them
        return d

    def guarantees(self) -> tuple[dict, dict]:
        items = {
            g: self.cleaned_data[f"g_{g}"] == "1"
            for g in GUARANTEES
            if self.cleaned_data.get(f"g_{g}") in ("0", "1")
        }
        notes = {g: self.cleaned_data.get(f"note_{g}", "") for g in GUARANTEES}
        return items, notes


class SettingsForm(ServiceForm):
    load_cap = forms.IntegerField(
        label=gettext_lazy("每名帮扶责任人最多结对户数"), min_value=1, max_value=100
    )
    visit_interval_days = forms.IntegerField(
        label=gettext_lazy("走访间隔（天）"),
        min_value=7,
        max_value=366,
        help_text=gettext_lazy("如每2个月走访一次填60；超过此天数未走访的户列入逾期名单"),
    )


class BatchForm(ServiceForm):
    village = forms.ChoiceField(label=gettext_lazy("行政村"))
    kind = forms.ChoiceField(
        label=gettext_lazy("生成内容"), choices=BatchKind.choices, initial=BatchKind.HANDBOOK
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, f"{v.name}（{v.code}）") for v in villages]


def period_choices(today: datetime.date | None = None) -> list[tuple[str, str]]:
    """The June and December monitoring periods of recent years, newest first."""
    today = today or timezone.localdate()
    out = []
    for year in range(today.year, today.year - 6, -1):
        for month in (12, 6):
            out.append(
                (f"{year}-{month:02d}", gettext("%(year)s年%(month)s月") % {"year": year, "month": month})
            )
    return out
