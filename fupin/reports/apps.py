from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fupin.reports"
    label = "reports"
    verbose_name = "统计与考核"

    def ready(self):
        # Imported here, once the apps are loaded: the registry's writer sits below reports and never imports
        # it.
        from fupin.registry.importing import writer

        from . import bulk

        writer.register_village_triggers(bulk.INSERT_TRIGGERS, bulk.log_villages)
        from fupin.core.table_exports import register_table

        from .lists import FIGURE_HOUSEHOLDS, SURVEY

        register_table(FIGURE_HOUSEHOLDS)  # the households behind a figure, to Excel
        register_table(SURVEY)  # the survey's answers
