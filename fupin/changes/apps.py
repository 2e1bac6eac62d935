from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "fupin.changes"
    label = "changes"
    verbose_name = "变更申请"

    def ready(self):
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user

        from fupin.core.table_exports import register_table

        from .tables import QUEUE

        register_table(QUEUE)  # its review queue to Excel
