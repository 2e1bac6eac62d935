from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class MonitoringConfig(AppConfig):
    name = "fupin.monitoring"
    label = "monitoring"
    verbose_name = "防返贫监测与核查"

    def ready(self):
        from fupin.core.schedule import register_daily
        from fupin.core.table_exports import register_table

        from .tables import (
            CASES,
            CHECK_FINDINGS,
            CHECKS,
            FINDINGS,
            LOOKBACK_ITEMS,
            LOOKBACKS,
            PROBLEMS,
            SIGNALS,
        )

        register_table(CASES)  # the monitored households' list to Excel
        register_table(PROBLEMS)  # the problem ledger's
        register_table(SIGNALS)  # the risk signals, one row each
        register_table(LOOKBACKS)  # the look-back campaigns
        register_table(FINDINGS)  # the departments' cross-check findings (疑点数据)
        register_table(CHECKS)  # the departments' lists uploaded for a cross-check (部门比对)
        register_table(CHECK_FINDINGS)  # one list's findings
        register_table(LOOKBACK_ITEMS)  # a look-back's households to check

        from .tasks import purge_expired_lists

        register_daily(
            "purge-cross-checks", "03:00", purge_expired_lists, gettext_lazy("删除超过保留期限的部门比对名单")
        )
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user
        from fupin.core import work as core_work

        from . import work

        for kind in work.KINDS:  # the worker and the 后台任务 page settle, list, retry and cancel them
            core_work.register_work(kind)
