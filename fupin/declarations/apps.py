from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DeclarationsConfig(AppConfig):
    name = "fupin.declarations"
    label = "declarations"
    verbose_name = "农户自主申报"

    def ready(self):
        # Monitoring and procedures sit beside this app and never import it: they tell us when a case or a
        # batch a declaration entered moves on.
        from fupin.core.schedule import register_daily
        from fupin.monitoring.services import on_stage_change
        from fupin.procedures.services import on_batch_move

        from .cases import follow_batch, follow_case
        from .tasks import sweep_deadlines

        on_stage_change(follow_case)
        on_batch_move(follow_batch)
        register_daily(
            "declaration-deadlines",
            "00:30",
            sweep_deadlines,
            gettext_lazy("申报时限检查：超期环节列入问题台账，已办结的销号"),
        )
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user

        from fupin.core.table_exports import register_table

        from .tables import DECLARATIONS

        register_table(DECLARATIONS)  # its list to Excel
