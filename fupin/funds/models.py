"""Projects (项目库), funds (扶贫资金) and microloans (扶贫小额信贷 / 产业扶贫信贷通).

Money is an integer number of fen in every column (`*_fen`), so sums are exact on SQLite
and PostgreSQL alike; the arithmetic and its rounding rules are in `interest.py`. Balances
that must never go negative are held by CheckConstraints as well as by the services' row locks.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from . import interest


def money(label, default=0):
    return models.BigIntegerField(label, default=default)


# --- policy parameters ----------------------------------------------------------------------


class LoanPolicy(models.Model):
    """A county's microloan parameters; the defaults are the seed's (001 篇6)."""

    county = models.OneToOneField(
        "regions.Region", on_delete=models.PROTECT, primary_key=True, related_name="+", verbose_name=_("县")
    )
    household_cap_fen = money(_("每户贷款上限（分）"), default=5_000_000)
    enterprise_multiple = models.PositiveSmallIntegerField(_("企业贷款倍数"), default=2)
    min_term_months = models.PositiveSmallIntegerField(_("最短期限（月）"), default=36)
    max_term_months = models.PositiveSmallIntegerField(_("最长期限（月）"), default=60)
    min_age = models.PositiveSmallIntegerField(_("借款人最小年龄"), default=18)
    max_age = models.PositiveSmallIntegerField(_("借款人最大年龄"), default=60)
    benchmark_rate = models.DecimalField(
        _("同期贷款基准利率（%）"), max_digits=7, decimal_places=4, default=Decimal("4.75")
    )
    household_subsidy_share = models.DecimalField(
        _("贫困户贴息比例（%）"), max_digits=6, decimal_places=2, default=Decimal("100")
    )
    enterprise_subsidy_share = models.DecimalField(
        _("企业贴息比例（%）"), max_digits=6, decimal_places=2, default=Decimal("50")
    )
    subsidy_years = models.PositiveSmallIntegerField(_("贴息年限"), default=3)
    risk_deposit_share = models.DecimalField(
        _("风险缓释金缴存比例（%）"), max_digits=6, decimal_places=2, default=Decimal("12.5")
    )
    city_parts = models.PositiveSmallIntegerField(_("代偿市级承担份数"), default=5)
    county_parts = models.PositiveSmallIntegerField(_("代偿县级承担份数"), default=5)
    reminder_days = models.PositiveSmallIntegerField(_("到期前提醒天数"), default=30)
    settlement_day = models.PositiveSmallIntegerField(_("结息日"), default=interest.DEFAULT_SETTLEMENT_DAY)
    exited_households_eligible = models.BooleanField(_("已脱贫户可申请（脱贫不脱政策）"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("小额信贷政策参数")
        verbose_name_plural = _("小额信贷政策参数")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_term_months__lte=F("max_term_months")), name="policy_term_range"
            ),
            models.CheckConstraint(condition=Q(min_age__lte=F("max_age")), name="policy_age_range"),
            models.CheckConstraint(
                condition=Q(settlement_day__gte=1, settlement_day__lte=31), name="policy_settlement_day"
            ),
            models.CheckConstraint(condition=Q(household_cap_fen__gt=0), name="policy_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id}"

    @classmethod
    def default_for(cls, county_code: str) -> "LoanPolicy":
        return cls(county_id=county_code)


# --- projects and funds -----------------------------------------------------------------------


class ProjectCategory(models.TextChoices):
    INDUSTRY = "industry", _("产业发展")
    ROAD = "road", _("农村道路")
    WATER = "water", _("饮水安全与水利")
    POWER = "power", _("农村电网")
    HOUSING = "housing", _("危房改造")
    RELOCATION = "relocation", _("易地扶贫搬迁")
    EDUCATION = "education", _("教育扶贫")
    HEALTH = "health", _("健康扶贫")
    TRAINING = "training", _("就业与技能培训")
    ECOLOGY = "ecology", _("生态扶贫")
    FINANCE = "finance", _("金融扶贫")
    OTHER = "other", _("其他")


class FundSource(models.TextChoices):
    CENTRAL = "central", _("中央财政专项扶贫资金")
    PROVINCIAL = "provincial", _("省级财政专项扶贫资金")
    PREFECTURE = "prefecture", _("市级财政专项扶贫资金")
    COUNTY = "county", _("县级财政专项扶贫资金")
    INTEGRATED = "integrated", _("统筹整合涉农资金")
    DONATION = "donation", _("社会捐赠资金")
    OTHER = "other", _("其他资金")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("已入库")
    IN_PROGRESS = "in_progress", _("实施中")
    COMPLETED = "completed", _("已完工")
    ACCEPTED = "accepted", _("已验收")
    CANCELLED = "cancelled", _("已取消")


PROJECT_TRANSITIONS = {
    ProjectStatus.PLANNED: {ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED},
    ProjectStatus.IN_PROGRESS: {ProjectStatus.COMPLETED, ProjectStatus.CANCELLED},
    ProjectStatus.COMPLETED: {ProjectStatus.ACCEPTED, ProjectStatus.IN_PROGRESS},
    ProjectStatus.ACCEPTED: set(),
    ProjectStatus.CANCELLED: set(),
}


class Project(models.Model):
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("实施地点")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.CharField(_("项目编号"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    category = models.CharField(_("项目类别"), max_length=20, choices=ProjectCategory.choices)
    content = models.TextField(_("建设内容及规模"), blank=True)
    implementer = models.CharField(_("实施单位"), max_length=100, blank=True)
    manager = models.CharField(_("项目负责人"), max_length=50, blank=True)
    budget_fen = money(_("项目预算（分）"))
    status = models.CharField(
        _("项目状态"), max_length=15, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    progress = models.PositiveSmallIntegerField(_("实施进度（%）"), default=0)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    completed_on = models.DateField(_("完工日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    acceptance_note = models.TextField(_("验收意见"), blank=True)
    published_on = models.DateField(_("公告日期"), null=True, blank=True)
    villages = models.ManyToManyField(
        "regions.Region", blank=True, related_name="+", verbose_name=_("受益村")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("扶贫项目")
        verbose_name_plural = _("扶贫项目")
        ordering = ["-year", "code"]
        indexes = [models.Index(fields=["county", "year", "status"]), models.Index(fields=["region", "year"])]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="project_code_unique_in_county"),
            models.CheckConstraint(condition=Q(budget_fen__gte=0), name="project_budget_nonnegative"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="project_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectFunding(models.Model):
    """The library's planned funding of a project by source (资金来源构成)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="funding", verbose_name=_("项目")
    )
    source = models.CharField(_("资金来源"), max_length=15, choices=FundSource.choices)
    amount_fen = money(_("计划金额（分）"))

    class Meta:
        verbose_name = _("项目资金来源")
        verbose_name_plural = _("项目资金来源")
        constraints = [
            models.UniqueConstraint(fields=["project", "source"], name="project_funding_one_per_source"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="project_funding_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {interest.fen_to_yuan(self.amount_fen)}"


class ProjectBeneficiary(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="beneficiaries", verbose_name=_("项目")
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("受益户")
    )
    benefit = models.CharField(_("受益内容"), max_length=200, blank=True)
    amount_fen = money(_("到户金额（分）"))

    class Meta:
        verbose_name = _("受益户")
        verbose_name_plural = _("受益户")
        constraints = [
            models.UniqueConstraint(fields=["project", "household"], name="beneficiary_once_per_project"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="beneficiary_amount_nonnegative"),
        ]

    def __str__(self) -> str:
        return str(
            _("项目 %(project)s 受益户 %(household)s")
            % {"project": self.project_id, "household": self.household_id}
        )


class Fund(models.Model):
    """One batch of money received by the county (资金指标), and how much of it is allocated and spent."""

    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("资金来源"), max_length=15, choices=FundSource.choices)
    name = models.CharField(_("资金名称"), max_length=200)
    document_no = models.CharField(_("下达文号"), max_length=100, blank=True)
    received_on = models.DateField(_("下达日期"), null=True, blank=True)
    amount_fen = money(_("下达金额（分）"))
    allocated_fen = money(_("已安排（分）"))
    spent_fen = money(_("已拨付（分）"))
    created_at = models.DateTimeField(auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("扶贫资金")
        verbose_name_plural = _("扶贫资金")
        ordering = ["-year", "source", "id"]
        indexes = [models.Index(fields=["county", "year", "source"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fund_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated_fen__gte=0, allocated_fen__lte=F("amount_fen")),
                name="fund_not_overallocated",
            ),
            models.CheckConstraint(
                condition=Q(spent_fen__gte=0, spent_fen__lte=F("allocated_fen")), name="fund_not_overspent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance_fen(self) -> int:
        return self.amount_fen - self.spent_fen

    @property
    def unallocated_fen(self) -> int:
        return self.amount_fen - self.allocated_fen


class Allocation(models.Model):
    """Money of one fund assigned to one project (资金安排)."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("资金")
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("项目")
    )
    amount_fen = money(_("安排金额（分）"))
    spent_fen = money(_("已拨付（分）"))
    allocated_on = models.DateField(_("安排日期"))

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("资金安排")
        verbose_name_plural = _("资金安排")
        constraints = [
            models.UniqueConstraint(fields=["fund", "project"], name="allocation_one_per_fund_project"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=Q(spent_fen__gte=0, spent_fen__lte=F("amount_fen")), name="allocation_not_overspent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} → {self.project}"

    @property
    def balance_fen(self) -> int:
        return self.amount_fen - self.spent_fen


class Payment(models.Model):
    """A payment out of an allocation to the project (资金拨付)."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="payments", verbose_name=_("资金安排")
    )
    amount_fen = money(_("拨付金额（分）"))
    paid_on = models.DateField(_("拨付日期"))
    payee = models.CharField(_("收款单位"), max_length=100, blank=True)
    voucher_no = models.CharField(_("凭证号"), max_length=50, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金拨付")
        verbose_name_plural = _("资金拨付")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.paid_on} {interest.fen_to_yuan(self.amount_fen)}"


class LedgerImport(models.Model):
    """The year's fund-and-project statistics table (扶贫资金项目统计表) uploaded for reconciliation."""

    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    original_name = models.CharField(_("文件名"), max_length=200)
    rows = models.JSONField(_("台账行"), default=list)  # [{"row", "code", "name", "amount_fen", "paid_fen"}]
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金项目统计表")
        verbose_name_plural = _("资金项目统计表")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


# --- microloans ----------------------------------------------------------------------------


class BorrowerKind(models.TextChoices):
    HOUSEHOLD = "household", _("贫困户")
    ENTERPRISE = "enterprise", _("农业企业")
    FAMILY_FARM = "family_farm", _("家庭农场")
    COOPERATIVE = "cooperative", _("农民合作经济组织")


class LinkKind(models.TextChoices):
    INVESTMENT = "investment", _("贫困户以债权或股权形式投入")
    EMPLOYMENT = "employment", _("吸纳贫困劳动力就业（1年以上劳动合同）")
    AGREEMENT = "agreement", _("签订种苗供应、技术指导、回购协议（1年以上）")


class Industry(models.TextChoices):
    PLANTING = "planting", _("种植业")
    BREEDING = "breeding", _("养殖业")
    FRUIT_FOREST = "fruit_forest", _("林果业")
    PROCESSING = "processing", _("农产品加工")
    TOURISM = "tourism", _("乡村旅游")
    ECOMMERCE = "ecommerce", _("农村电子商务")
    PHOTOVOLTAIC = "photovoltaic", _("光伏产业")
    OTHER = "other", _("其他扶贫产业")


class LoanStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    APPROVED = "approved", _("银行已审批")
    REJECTED = "rejected", _("银行未批准")
    DISBURSED = "disbursed", _("已放款")
    REPAID = "repaid", _("已结清")
    DEFAULTED = "defaulted", _("已代偿")


LOAN_TRANSITIONS = {
    LoanStatus.APPLIED: {LoanStatus.APPROVED, LoanStatus.REJECTED},
    LoanStatus.APPROVED: {LoanStatus.DISBURSED, LoanStatus.REJECTED},
    LoanStatus.DISBURSED: {LoanStatus.REPAID, LoanStatus.DEFAULTED},
    LoanStatus.REJECTED: set(),
    LoanStatus.REPAID: set(),
    LoanStatus.DEFAULTED: set(),
}
# Loans that count against a household's cap.
ACTIVE_LOAN_STATUSES = (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED)


class Loan(models.Model):
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区划")
    )
    borrower_kind = models.CharField(_("借款主体"), max_length=15, choices=BorrowerKind.choices)
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("贫困户"),
    )
    borrower = models.ForeignKey(
        "registry.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("借款人"),
    )
    borrower_name = models.CharField(_("借款人/主体名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    bank = models.CharField(_("贷款银行"), max_length=60)
    amount_requested_fen = money(_("申请金额（分）"))
    amount_fen = money(_("贷款金额（分）"))
    term_months = models.PositiveSmallIntegerField(_("贷款期限（月）"))
    industry = models.CharField(_("扶持产业"), max_length=15, choices=Industry.choices)
    purpose = models.CharField(_("贷款用途"), max_length=200)
    capacity_confirmed = models.BooleanField(_("经核实具有完全民事行为能力"), default=False)
    village_opinion = models.TextField(_("村委会、驻村工作队论证意见"), blank=True)
    interest_rate = models.DecimalField(
        _("执行年利率（%）"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    benchmark_rate = models.DecimalField(
        _("同期基准年利率（%）"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    subsidy_share = models.DecimalField(
        _("贴息比例（%）"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.APPLIED
    )
    applied_on = models.DateField(_("申请日期"))
    decided_on = models.DateField(_("审批日期"), null=True, blank=True)
    rejection_reason = models.CharField(_("未批准原因"), max_length=200, blank=True)
    contract_no = models.CharField(_("借款合同号"), max_length=60, blank=True)
    disbursed_on = models.DateField(_("放款日期"), null=True, blank=True)
    maturity_on = models.DateField(_("到期日期"), null=True, blank=True)
    repaid_on = models.DateField(_("结清日期"), null=True, blank=True)
    defaulted_on = models.DateField(_("损失认定日期"), null=True, blank=True)
    reminder_sent_on = models.DateField(_("还款提醒日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("扶贫小额信贷")
        verbose_name_plural = _("扶贫小额信贷")
        ordering = ["-applied_on", "-id"]
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["county", "status", "maturity_on"]),
            models.Index(fields=["county", "bank", "disbursed_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0, amount_requested_fen__gt=0), name="loan_amounts_positive"
            ),
            models.CheckConstraint(
                condition=Q(borrower_kind="household", household__isnull=False)
                | ~Q(borrower_kind="household"),
                name="household_loan_has_household",
            ),
            models.CheckConstraint(
                condition=Q(disbursed_on__isnull=True) | Q(maturity_on__gt=F("disbursed_on")),
                name="loan_matures_after_disbursement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.borrower_name} {interest.fen_to_yuan(self.amount_fen or self.amount_requested_fen)}元"

    @property
    def is_enterprise(self) -> bool:
        return self.borrower_kind != BorrowerKind.HOUSEHOLD


class LoanLink(models.Model):
    """A poor household an enterprise, family farm or cooperative takes in (带动贫困户), which sets its
    cap."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="links", verbose_name=_("贷款"))
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("贫困户")
    )
    kind = models.CharField(_("带动方式"), max_length=15, choices=LinkKind.choices)
    invested_fen = money(_("投入金额（分）"))

    class Meta:
        verbose_name = _("带动贫困户")
        verbose_name_plural = _("带动贫困户")
        constraints = [
            models.UniqueConstraint(fields=["loan", "household", "kind"], name="loan_link_unique"),
            models.CheckConstraint(condition=Q(invested_fen__gte=0), name="loan_link_invested_nonnegative"),
        ]

    def __str__(self) -> str:
        return str(
            _("%(kind)s：户 %(household)s")
            % {"kind": self.get_kind_display(), "household": self.household_id}
        )


class Repayment(models.Model):
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="repayments", verbose_name=_("贷款")
    )
    repaid_on = models.DateField(_("还款日期"))
    principal_fen = money(_("归还本金（分）"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("还本记录")
        verbose_name_plural = _("还本记录")
        ordering = ["repaid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(principal_fen__gt=0), name="repayment_positive")]

    def __str__(self) -> str:
        return f"{self.repaid_on} {interest.fen_to_yuan(self.principal_fen)}"


class InterestPayment(models.Model):
    """Interest the borrower paid for one interest period (借款人按季结息)."""

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="interest_payments", verbose_name=_("贷款")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    amount_fen = money(_("已付利息（分）"))
    paid_on = models.DateField(_("付息日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("付息记录")
        verbose_name_plural = _("付息记录")
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "year", "quarter"], name="interest_once_per_period"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="interest_quarter_1_4"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="interest_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} {interest.fen_to_yuan(self.amount_fen)}"


class SubsidyPayment(models.Model):
    """The county's interest subsidy paid for one loan and period; quarter 0 is a whole-year settlement."""

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="subsidy_payments", verbose_name=_("贷款")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    amount_fen = money(_("贴息金额（分）"))
    paid_on = models.DateField(_("拨付日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("贴息拨付")
        verbose_name_plural = _("贴息拨付")
        constraints = [
            models.UniqueConstraint(fields=["loan", "year", "quarter"], name="subsidy_once_per_period"),
            models.CheckConstraint(condition=Q(quarter__gte=0, quarter__lte=4), name="subsidy_quarter_0_4"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="subsidy_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} {interest.fen_to_yuan(self.amount_fen)}"


class RiskFundAccount(models.Model):
    """A county's risk compensation fund (风险缓释基金) deposited with one bank."""

    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县")
    )
    bank = models.CharField(_("试点银行"), max_length=60)
    balance_fen = money(_("余额（分）"))

    class Meta:
        verbose_name = _("风险缓释基金专户")
        verbose_name_plural = _("风险缓释基金专户")
        ordering = ["county_id", "bank"]
        constraints = [
            models.UniqueConstraint(fields=["county", "bank"], name="risk_fund_one_per_bank"),
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="risk_fund_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.bank


class RiskEntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("缴存")
    PAYOUT = "payout", _("代偿")
    RECOVERY = "recovery", _("追回归还")


class RiskFundEntry(models.Model):
    account = models.ForeignKey(
        RiskFundAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("专户")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=RiskEntryKind.choices)
    amount_fen = money(_("金额（分）"))
    occurred_on = models.DateField(_("日期"))
    year = models.PositiveSmallIntegerField(_("所属年度"), null=True, blank=True)
    quarter = models.PositiveSmallIntegerField(_("所属季度"), null=True, blank=True)
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_entries",
        verbose_name=_("贷款"),
    )
    loss_fen = money(_("本息损失（分）"))
    city_share_fen = money(_("市级承担（分）"))
    county_share_fen = money(_("县级承担（分）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("风险缓释基金收支")
        verbose_name_plural = _("风险缓释基金收支")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="risk_entry_positive"),
            models.CheckConstraint(
                condition=Q(city_share_fen__gte=0, county_share_fen__gte=0),
                name="risk_entry_shares_nonnegative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="payout")
                | Q(city_share_fen__lte=F("amount_fen"), county_share_fen__lte=F("amount_fen")),
                name="risk_entry_shares_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on} {interest.fen_to_yuan(self.amount_fen)}"
