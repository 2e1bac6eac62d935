from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "fupin.procedures"
    label = "procedures"

    def ready(self):
        # Imported here, once the apps are loaded: the registry's correction lock asks which years a batch has
        # used.
        from fupin.registry import services as registry

        from .selectors import guarantee_years_used, income_years_used

        registry.provide_procedure_years(income=income_years_used, guarantees=guarantee_years_used)
        from fupin.core.todo import register_todo

        from . import todos

        register_todo(todos.todos)  # the to-do list (待办) asks this app what waits for a user
        from fupin.core.table_exports import register_table

        from .tables import BATCHES, VILLAGES

        register_table(BATCHES)  # the batches' list to Excel
        register_table(VILLAGES)  # the village profiles'
