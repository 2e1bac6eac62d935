"""Background work of funds: the daily repayment reminders (fupin.core.schedule)."""

import logging

from django.tasks import task

from fupin.accounts.models import User

from . import services
from .models import Loan, LoanStatus

log = logging.getLogger("fupin.funds")


@task
def send_loan_reminders() -> int:
    """Record the reminders of every county with loans out, as `fupin loan-reminders` does, acting as the
    first active administrator (the audit shows whom)."""
    by = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if by is None:
        log.warning("没有系统管理员账号，未登记还款提醒")
        return 0
    counties = sorted(
        set(Loan.objects.filter(status=LoanStatus.DISBURSED).values_list("county_id", flat=True))
    )
    return sum(len(services.issue_repayment_reminders(by=by, county_code=code)) for code in counties)
