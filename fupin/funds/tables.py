"""The funds pages' lists to Excel (fupin.core.table_exports): the project library (项目库), the microloans
(扶贫小额信贷) and the funds (扶贫资金), each with the columns on its page, for the county the page shows,
filtered as the page is (`project_query`/`loan_query`/`fund_query` are what the pages list too). Amounts are
in yuan, stored as numbers."""

from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core.money import fen_to_yuan
from fupin.core.params import year_param
from fupin.core.table_exports import Column, Table

from . import selectors
from .models import FundSource, LoanStatus, ProjectCategory, ProjectStatus


def county_of(user, params):
    """The county the funds pages show this user for these parameters (404 when they may read none)."""
    county = selectors.default_county(user, params.get("county", ""))
    if county is None:
        raise Http404(gettext("没有可查看的县"))
    return county


def project_filters(params) -> dict:
    status, category = params.get("status", ""), params.get("category", "")
    return {
        "status": status if status in ProjectStatus.values else "",
        "category": category if category in ProjectCategory.values else "",
        "q": params.get("q", ""),
    }


def project_query(user, params, county=None, year=None):
    """The project library's rows for this user and these parameters (the page and its export)."""
    county = county or county_of(user, params)
    if year is None:
        year = year_param(params.get("year"))
    return selectors.projects_for(user, county=county.code, year=year, **project_filters(params))


def _yuan(fen):
    return None if fen is None else fen_to_yuan(fen)


def _project_row(p, revealed: bool) -> list:
    return [
        p.code,
        p.name,
        p.year,
        p.get_category_display(),
        p.region.name,
        p.get_status_display() + (" " + gettext("· 已公告") if p.published_on else ""),
        p.progress,
        _yuan(p.budget_fen),
        _yuan(p.allocated_fen),
        _yuan(p.paid_fen),
    ]


PROJECTS = Table(
    name="funds.projects",
    title=_("项目库"),
    columns=[
        Column(_("项目编号")),
        Column(_("项目名称"), width=30),
        Column(_("年度"), number=True),
        Column(_("类别")),
        Column(_("实施地点")),
        Column(_("状态")),
        Column(_("进度（%）"), number=True),
        Column(_("预算（元）"), number=True),
        Column(_("已安排（元）"), number=True),
        Column(_("已拨付（元）"), number=True),
    ],
    query=project_query,
    row=_project_row,
)


def loan_filters(params) -> dict:
    status, kind = params.get("status", ""), params.get("kind", "")
    return {
        "status": status if status in LoanStatus.values else "",
        "kind": kind if kind in ("household", "enterprise") else "",
        "q": params.get("q", ""),
    }


def loan_query(user, params, county=None):
    """The microloans' rows for this user and these parameters (the page and its export)."""
    county = county or county_of(user, params)
    return selectors.loans_for(user, county=county.code, **loan_filters(params))


def _loan_row(loan, revealed: bool) -> list:
    borrower = loan.borrower_name
    if loan.is_enterprise:
        borrower += f"（{loan.get_borrower_kind_display()}）"
    return [
        borrower,
        loan.household.number if loan.household_id else "",
        loan.region.name,
        loan.bank,
        _yuan(loan.amount_fen or loan.amount_requested_fen),
        gettext("申请") if not loan.amount_fen else "",
        loan.term_months,
        loan.applied_on,
        loan.disbursed_on,
        loan.maturity_on,
        loan.get_status_display(),
    ]


LOANS = Table(
    name="funds.loans",
    title=_("扶贫小额信贷"),
    columns=[
        Column(_("借款人/主体"), width=24),
        Column(_("户编号")),
        Column(_("所在地")),
        Column(_("银行")),
        Column(_("金额（元）"), number=True),
        Column(_("金额说明")),
        Column(_("期限（月）"), number=True),
        Column(_("申请日期"), number=True),
        Column(_("放款日期"), number=True),
        Column(_("到期日期"), number=True),
        Column(_("状态")),
    ],
    query=loan_query,
    row=_loan_row,
)


def fund_query(user, params, county=None):
    """The funds page's rows (扶贫资金): the county the page shows, its year and source filters."""
    county = county or county_of(user, params)
    source = params.get("source", "")
    return selectors.funds_for(
        user,
        county=county.code,
        year=year_param(params.get("year")),
        source=source if source in FundSource.values else "",
    )


def _fund_row(f, revealed: bool) -> list:
    return [
        f.year,
        f.name,
        f.get_source_display(),
        f.document_no or "—",
        _yuan(f.amount_fen),
        _yuan(f.allocated_fen),
        _yuan(f.spent_fen),
        _yuan(f.balance_fen),
        _yuan(f.unallocated_fen),
    ]


FUNDS = Table(
    name="funds.funds",
    title=_("扶贫资金"),
    columns=[
        Column(_("年度"), number=True),
        Column(_("资金名称"), width=30),
        Column(_("来源")),
        Column(_("下达文号")),
        Column(_("下达（元）"), number=True),
        Column(_("已安排（元）"), number=True),
        Column(_("已拨付（元）"), number=True),
        Column(_("结余（元）"), number=True),
        Column(_("未安排（元）"), number=True),
    ],
    query=fund_query,
    row=_fund_row,
)


def public_project_query(user, params):
    """The projects published for the public (扶贫项目和资金公告公示): the page's county and year filters."""
    county = params.get("county", "")
    return selectors.published_projects(
        county=county if county.isdigit() else "", year=year_param(params.get("year"))
    )


def _public_project_row(p, revealed: bool) -> list:
    return [
        p.year,
        p.county.name,
        p.name,
        p.get_category_display(),
        p.region.name,
        p.get_status_display(),
        _yuan(p.budget_fen),
        _yuan(p.allocated_fen),
        _yuan(p.paid_fen),
        p.beneficiary_count,
        p.published_on,
    ]


PUBLIC_PROJECTS = Table(
    name="funds.public_projects",
    title=_("扶贫项目和资金公告公示"),
    columns=[
        Column(_("年度"), number=True),
        Column(_("县")),
        Column(_("项目名称"), width=30),
        Column(_("类别")),
        Column(_("实施地点")),
        Column(_("状态")),
        Column(_("预算（元）"), number=True),
        Column(_("已安排（元）"), number=True),
        Column(_("已拨付（元）"), number=True),
        Column(_("受益户"), number=True),
        Column(_("公告日期"), number=True),
    ],
    query=public_project_query,
    row=_public_project_row,
)
