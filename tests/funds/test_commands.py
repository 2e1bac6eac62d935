import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from fupin.audit.models import AuditEntry
from tests.funds.test_loans import disbursed_loan

D = datetime.date


def test_loan_reminders_command_marks_loans_due_within_30_days_once(users):
    loan = disbursed_loan(users, disbursed_on=D(2022, 3, 1))  # matures 2025-03-01
    out = io.StringIO()
    call_command("loan_reminders", "--user", "county", "--date", "2025-02-01", stdout=out)
    assert "已登记还款提醒 1 笔" in out.getvalue() and "到期 2025-03-01" in out.getvalue()
    loan.refresh_from_db()
    assert loan.reminder_sent_on == D(2025, 2, 1)
    out = io.StringIO()
    call_command("loan_reminders", "--user", "county", "--date", "2025-02-02", stdout=out)
    assert "已登记还款提醒 0 笔" in out.getvalue()
    assert AuditEntry.objects.filter(action="repayment_reminder", username="county").count() == 1
    with pytest.raises(CommandError, match="日期格式"):
        call_command("loan_reminders", "--date", "tomorrow")
    with pytest.raises(CommandError, match="不在您的管辖范围内"):
        call_command("loan_reminders", "--user", "clerk", "--county", "360722", "--date", "2025-02-01")
