from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class FundsConfig(AppConfig):
    name = "fupin.funds"
    label = "funds"
    verbose_name = "扶贫项目、资金与小额信贷"

    def ready(self):
        from fupin.core.schedule import register_daily

        from .tasks import send_loan_reminders

        register_daily(
            "loan-reminders", "08:00", send_loan_reminders, gettext_lazy("登记到期前30天的小额信贷还款提醒")
        )
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user
        from fupin.core.table_exports import register_table

        from .tables import FUNDS, LOANS, PROJECTS, PUBLIC_PROJECTS

        register_table(PROJECTS)  # the project library to Excel
        register_table(LOANS)  # the microloans' list
        register_table(FUNDS)  # the funds received
        register_table(PUBLIC_PROJECTS)  # the projects published for the public
