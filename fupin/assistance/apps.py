from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "fupin.assistance"
    label = "assistance"

    def ready(self):
        # Imported here, once the apps are loaded: accounts.scope asks this app which households a helper is
        # paired to.
        from fupin.accounts import scope

        from .selectors import active_pairings

        scope.provide_paired_filter(active_pairings)
        # handbook batches are background work the worker watches and the 后台任务 page lists
        from fupin.core import work as core_work

        from . import work

        core_work.register_work(work.KIND)
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user
        from fupin.core.table_exports import register_table

        from .tables import HANDBOOK_BATCHES, HELPERS, OVERDUE, UNITS, UNPAIRED

        register_table(UNPAIRED)  # its lists to Excel
        register_table(OVERDUE)
        register_table(HELPERS)
        register_table(UNITS)
        register_table(HANDBOOK_BATCHES)
