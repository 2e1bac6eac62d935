"""`fupin loan-reminders`: record repayment reminders for loans maturing within each county's window
(到期前30天)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.commands import acting_user, add_user_argument
from fupin.core.errors import ScopeError
from fupin.funds import services
from fupin.funds.models import Loan, LoanStatus


class Command(BaseCommand):
    help = "登记到期前提醒：列出并标记提醒窗口内到期、尚未提醒的扶贫小额信贷（可按县执行）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--county", action="append", default=[], help="县级区划代码（可重复；默认所有有在贷贷款的县）"
        )
        add_user_argument(parser)
        parser.add_argument("--date", default="", help="按哪一天计算，YYYY-MM-DD（默认今天）")

    def handle(self, *args, county, user, date, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(gettext("日期格式应为 YYYY-MM-DD")) from None
        by = acting_user(user)
        counties = county or sorted(
            set(Loan.objects.filter(status=LoanStatus.DISBURSED).values_list("county_id", flat=True))
        )
        total = 0
        for code in counties:
            try:
                loans = services.issue_repayment_reminders(by=by, county_code=code, today=today)
            except (services.FundsError, ScopeError) as e:
                raise CommandError(f"{code}：{e}") from None
            for loan in loans:
                self.stdout.write(
                    f"{code}\t{loan.borrower_name}\t{loan.bank}\t{loan.contract_no}\t到期 {loan.maturity_on}"
                )
            total += len(loans)
        self.stdout.write(self.style.SUCCESS(f"已登记还款提醒 {total} 笔"))
