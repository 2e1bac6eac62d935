"""Forms for projects, funds and loans: they parse yuan into fen and dates, the services decide."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from fupin.core import money
from fupin.core.forms import DateBox, RefusalOnFields, ServiceForm
from fupin.registry.models import Member

from .models import BorrowerKind, FundSource, Industry, LinkKind, LoanPolicy, ProjectCategory, ProjectStatus

_quarter = lazy(
    lambda q: gettext("第%(quarter)s季度") % {"quarter": q}, str
)  # a label read in the page's language


class YuanField(forms.DecimalField):
    """Money typed in yuan (two places at most), cleaned to integer fen."""

    def __init__(self, *, min_fen: int = 1, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        self.min_fen = min_fen
        super().__init__(**kwargs)
        self.error_messages.update(
            {
                "invalid": gettext_lazy("请输入金额（元）"),
                "max_decimal_places": gettext_lazy("金额最多保留两位小数"),
                "max_digits": gettext_lazy("金额过大"),
                "max_whole_digits": gettext_lazy("金额过大"),
            }
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("，", "")
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        fen = money.yuan_to_fen(amount) if amount >= 0 else -1
        if fen < self.min_fen:
            raise forms.ValidationError(
                gettext_lazy("金额须大于0") if self.min_fen > 0 else gettext_lazy("金额不能为负数")
            )
        return fen


def date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        widget=DateBox(),  # the value a date input reads
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("请输入日期，如 2025-03-20")},
        **kwargs,
    )


def rate_field(label, **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("36"),
        error_messages={"invalid": gettext_lazy("请输入年利率（%），如 4.75")},
        **kwargs,
    )


YEAR = gettext_lazy("年度")


def year_field(label=YEAR):
    this_year = timezone.localdate().year
    return forms.IntegerField(
        label=label,
        min_value=2013,
        max_value=this_year + 1,
        initial=this_year,
        error_messages={
            "min_value": gettext_lazy("年度不能早于2013年"),
            "max_value": gettext("年度不能晚于%(this_year)s年") % {"this_year": this_year + 1},
        },
    )


class HouseholdLoanForm(ServiceForm):
    borrower = forms.ModelChoiceField(
        label=gettext_lazy("借款人"),
        queryset=Member.objects.none(),
        empty_label=gettext_lazy("请选择家庭成员"),
        error_messages={"invalid_choice": gettext_lazy("借款人须为本户家庭成员")},
    )
    amount = YuanField(
        label=gettext_lazy("申请金额（元）"), help_text=gettext_lazy("每户不超过政策上限（默认5万元）")
    )
    term_months = forms.IntegerField(
        label=gettext_lazy("贷款期限（月）"), initial=36, min_value=1, max_value=240
    )
    industry = forms.ChoiceField(
        label=gettext_lazy("扶持产业"), choices=[("", gettext_lazy("请选择"))] + Industry.choices
    )
    purpose = forms.CharField(label=gettext_lazy("贷款用途"), max_length=200)
    bank = forms.CharField(
        label=gettext_lazy("贷款银行"), max_length=60, widget=forms.TextInput(attrs={"list": "bank-names"})
    )
    applied_on = date_field(gettext_lazy("申请日期"), initial=datetime.date.today)
    village_opinion = forms.CharField(
        label=gettext_lazy("村委会、驻村工作队论证意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    capacity_confirmed = forms.BooleanField(
        label=gettext_lazy("经核实，借款人具有完全民事行为能力"), required=False
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = Member.objects.filter(household=household).order_by("pk")
        self.fields["borrower"].label_from_instance = lambda m: (
            gettext("%(name)s（%(get_relation_display)s，%(birth_date)s年生）")
            % {
                "name": m.name,
                "get_relation_display": m.get_relation_display(),
                "birth_date": format(m.birth_date, "%Y"),
            }
        )


class EnterpriseLoanForm(ServiceForm):
    borrower_kind = forms.ChoiceField(
        label=gettext_lazy("主体类型"),
        choices=[c for c in BorrowerKind.choices if c[0] != BorrowerKind.HOUSEHOLD],
    )
    name = forms.CharField(label=gettext_lazy("主体名称"), max_length=100)
    credit_code = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=18, required=False)
    region = forms.CharField(
        label=gettext_lazy("所在区划代码"),
        max_length=12,
        help_text=gettext_lazy("县、乡镇或行政村的区划代码"),
    )
    amount = YuanField(label=gettext_lazy("申请金额（元）"))
    term_months = forms.IntegerField(
        label=gettext_lazy("贷款期限（月）"), initial=36, min_value=1, max_value=240
    )
    industry = forms.ChoiceField(
        label=gettext_lazy("扶持产业"), choices=[("", gettext_lazy("请选择"))] + Industry.choices
    )
    purpose = forms.CharField(label=gettext_lazy("贷款用途"), max_length=200)
    bank = forms.CharField(
        label=gettext_lazy("贷款银行"), max_length=60, widget=forms.TextInput(attrs={"list": "bank-names"})
    )
    applied_on = date_field(gettext_lazy("申请日期"), initial=datetime.date.today)
    links = forms.CharField(
        label=gettext_lazy("带动贫困户"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "每行一户：户编号,带动方式,投入金额（元）。带动方式：投入 / 就业 / 协议，例如 360722100001 "
            "0001,投入,20000"
        ),
    )
    village_opinion = forms.CharField(
        label=gettext_lazy("论证意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    # the English page names the link kinds in English, so those words are accepted too
    LINK_WORDS = {
        "投入": LinkKind.INVESTMENT,
        "就业": LinkKind.EMPLOYMENT,
        "协议": LinkKind.AGREEMENT,
        "investment": LinkKind.INVESTMENT,
        "employment": LinkKind.EMPLOYMENT,
        "agreement": LinkKind.AGREEMENT,
    }

    def parse_links(self, households) -> list[tuple]:
        """[(household, kind, invested fen)] from the text; errors land on the field. `households` maps number
        → Household."""
        out = []
        for n, line in enumerate(self.cleaned_data.get("links", "").splitlines(), start=1):
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            number, word = (parts + ["", ""])[:2]
            household = households.get(number.replace(" ", ""))
            if household is None:
                self.add_error(
                    "links",
                    gettext("第%(n)s行：户编号 %(number)s 不存在或不在您的范围内")
                    % {"n": n, "number": number},
                )
                continue
            kind = self.LINK_WORDS.get(word.lower())
            if kind is None:
                self.add_error("links", gettext("第%(n)s行：带动方式应为 投入、就业 或 协议") % {"n": n})
                continue
            invested = 0
            if kind == LinkKind.INVESTMENT:
                try:
                    invested = money.yuan_to_fen(parts[2] if len(parts) > 2 and parts[2] else "0")
                except (money.MoneyError, TypeError) as e:
                    self.add_error("links", gettext("第%(n)s行：%(e)s") % {"n": n, "e": e})
                    continue
            out.append((household, kind, invested))
        return out


class ApproveForm(ServiceForm):
    amount = YuanField(label=gettext_lazy("审批金额（元）"))
    interest_rate = rate_field(gettext_lazy("执行年利率（%）"))
    benchmark_rate = rate_field(
        gettext_lazy("同期基准年利率（%）"), required=False, help_text=gettext_lazy("留空则按本县政策参数")
    )
    decided_on = date_field(gettext_lazy("审批日期"), initial=datetime.date.today)


class RejectForm(ServiceForm):
    reason = forms.CharField(label=gettext_lazy("未批准原因"), max_length=200)
    decided_on = date_field(gettext_lazy("日期"), initial=datetime.date.today)


class DisburseForm(ServiceForm):
    disbursed_on = date_field(gettext_lazy("放款日期"), initial=datetime.date.today)
    contract_no = forms.CharField(label=gettext_lazy("借款合同号"), max_length=60)


class RepaymentForm(ServiceForm):
    principal = YuanField(label=gettext_lazy("归还本金（元）"))
    repaid_on = date_field(gettext_lazy("还款日期"), initial=datetime.date.today)


class InterestPaymentForm(ServiceForm):
    year = year_field()
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("季度"), coerce=int, choices=[(q, _quarter(q)) for q in (1, 2, 3, 4)]
    )
    amount = YuanField(label=gettext_lazy("已付利息（元）"), min_fen=0)
    paid_on = date_field(gettext_lazy("付息日期"), initial=datetime.date.today)


class DefaultForm(ServiceForm):
    loss_principal = YuanField(label=gettext_lazy("本金损失（元）"))
    loss_interest = YuanField(label=gettext_lazy("利息损失（元）"), min_fen=0, required=False)
    defaulted_on = date_field(gettext_lazy("损失认定日期"), initial=datetime.date.today)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class RecoveryForm(ServiceForm):
    amount = YuanField(label=gettext_lazy("追回金额（元）"))
    recovered_on = date_field(gettext_lazy("追回日期"), initial=datetime.date.today)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class DepositForm(ServiceForm):
    bank = forms.CharField(
        label=gettext_lazy("试点银行"), max_length=60, widget=forms.TextInput(attrs={"list": "bank-names"})
    )
    year = year_field(gettext_lazy("所属年度"))
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("所属季度"), coerce=int, choices=[(q, _quarter(q)) for q in (1, 2, 3, 4)]
    )
    amount = YuanField(label=gettext_lazy("缴存金额（元）"))
    deposited_on = date_field(gettext_lazy("缴存日期"), initial=datetime.date.today)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class PaySubsidyForm(ServiceForm):
    paid_on = date_field(gettext_lazy("拨付日期"), initial=datetime.date.today)


class PolicyForm(RefusalOnFields, forms.ModelForm):
    household_cap = YuanField(label=gettext_lazy("每户贷款上限（元）"))

    class Meta:
        model = LoanPolicy
        fields = [
            "enterprise_multiple",
            "min_term_months",
            "max_term_months",
            "min_age",
            "max_age",
            "benchmark_rate",
            "household_subsidy_share",
            "enterprise_subsidy_share",
            "subsidy_years",
            "risk_deposit_share",
            "city_parts",
            "county_parts",
            "reminder_days",
            "settlement_day",
            "exited_households_eligible",
        ]
        help_texts = {
            "settlement_day": gettext_lazy("每季末月的结息日，默认20日；填31表示按自然季度末结息"),
            "risk_deposit_share": gettext_lazy("按实际发放贷款额的比例按季缴存（10亿元撬动80亿元，即12.5%）"),
        }

    default_renderer = ServiceForm.default_renderer


class ProjectForm(ServiceForm):
    year = year_field()
    code = forms.CharField(label=gettext_lazy("项目编号"), max_length=40)
    name = forms.CharField(label=gettext_lazy("项目名称"), max_length=200)
    category = forms.ChoiceField(
        label=gettext_lazy("项目类别"), choices=[("", gettext_lazy("请选择"))] + ProjectCategory.choices
    )
    region = forms.CharField(
        label=gettext_lazy("实施地点（区划代码）"),
        max_length=12,
        required=False,
        help_text=gettext_lazy("留空为全县"),
    )
    budget = YuanField(label=gettext_lazy("项目预算（元）"))
    content = forms.CharField(
        label=gettext_lazy("建设内容及规模"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    implementer = forms.CharField(label=gettext_lazy("实施单位"), max_length=100, required=False)
    manager = forms.CharField(label=gettext_lazy("项目负责人"), max_length=50, required=False)
    villages = forms.CharField(label=gettext_lazy("受益村（区划代码，多个用逗号分隔）"), required=False)

    sections = [
        (
            gettext_lazy("项目"),
            [
                "year",
                "code",
                "name",
                "category",
                "region",
                "budget",
                "content",
                "implementer",
                "manager",
                "villages",
            ],
        ),
        (gettext_lazy("资金来源构成（元）"), [f"funding_{s}" for s in FundSource.values]),
    ]

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for source in FundSource:
            self.fields[f"funding_{source.value}"] = YuanField(label=source.label, required=False, min_fen=0)
        if editing:
            del self.fields["year"]
            del self.fields["code"]

    def funding(self) -> dict[str, int]:
        return {s: self.cleaned_data.get(f"funding_{s}") or 0 for s in FundSource.values}

    def village_codes(self) -> list[str]:
        raw = self.cleaned_data.get("villages", "").replace("，", ",").replace("、", ",")
        return [c.strip() for c in raw.split(",") if c.strip()]


class ProgressForm(ServiceForm):
    status = forms.ChoiceField(
        label=gettext_lazy("项目状态"),
        choices=[c for c in ProjectStatus.choices if c[0] != ProjectStatus.ACCEPTED],
    )
    progress = forms.IntegerField(label=gettext_lazy("实施进度（%）"), min_value=0, max_value=100)
    on = date_field(gettext_lazy("日期"), initial=datetime.date.today)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class AcceptForm(ServiceForm):
    accepted_on = date_field(gettext_lazy("验收日期"), initial=datetime.date.today)
    note = forms.CharField(label=gettext_lazy("验收意见"), widget=forms.Textarea(attrs={"rows": 2}))


class BeneficiaryForm(ServiceForm):
    household = forms.CharField(label=gettext_lazy("户编号"), max_length=20)
    benefit = forms.CharField(label=gettext_lazy("受益内容"), max_length=200, required=False)
    amount = YuanField(label=gettext_lazy("到户金额（元）"), required=False, min_fen=0)


class AllocateForm(ServiceForm):
    fund = forms.ModelChoiceField(
        label=gettext_lazy("资金"),
        queryset=None,
        empty_label=gettext_lazy("请选择资金"),
        error_messages={"invalid_choice": gettext_lazy("请选择本县的资金")},
    )
    amount = YuanField(label=gettext_lazy("安排金额（元）"))
    allocated_on = date_field(gettext_lazy("安排日期"), initial=datetime.date.today)

    def __init__(self, *args, funds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds
        self.fields["fund"].label_from_instance = lambda f: (
            gettext("%(year)s %(name)s（可安排 %(unallocated_fen)s 元）")
            % {"year": f.year, "name": f.name, "unallocated_fen": money.format_fen(f.unallocated_fen)}
        )


class PaymentForm(ServiceForm):
    allocation = forms.ModelChoiceField(
        label=gettext_lazy("资金安排"),
        queryset=None,
        empty_label=gettext_lazy("请选择资金安排"),
        error_messages={"invalid_choice": gettext_lazy("请选择本项目的资金安排")},
    )
    amount = YuanField(label=gettext_lazy("拨付金额（元）"))
    paid_on = date_field(gettext_lazy("拨付日期"), initial=datetime.date.today)
    payee = forms.CharField(label=gettext_lazy("收款单位"), max_length=100, required=False)
    voucher_no = forms.CharField(label=gettext_lazy("凭证号"), max_length=50, required=False)

    def __init__(self, *args, allocations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = allocations
        self.fields["allocation"].label_from_instance = lambda a: (
            gettext("%(name)s（余额 %(balance_fen)s 元）")
            % {"name": a.fund.name, "balance_fen": money.format_fen(a.balance_fen)}
        )


class FundForm(ServiceForm):
    year = year_field()
    source = forms.ChoiceField(
        label=gettext_lazy("资金来源"), choices=[("", gettext_lazy("请选择"))] + FundSource.choices
    )
    name = forms.CharField(label=gettext_lazy("资金名称"), max_length=200)
    document_no = forms.CharField(label=gettext_lazy("下达文号"), max_length=100, required=False)
    received_on = date_field(gettext_lazy("下达日期"), required=False)
    amount = YuanField(label=gettext_lazy("下达金额（元）"))


class LedgerForm(ServiceForm):
    year = year_field()
    file = forms.FileField(
        label=gettext_lazy("扶贫资金项目统计表（.xlsx）"),
        error_messages={"required": gettext_lazy("请选择文件")},
    )
