from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "fupin.field"
    label = "field"
    verbose_name = "帮扶 App（离线）"

    def ready(self):
        # Assistance sits beside this app and never imports it: its helper-monitoring report asks us which
        # visits look made up (typed long after, photos reused across households, far from the village).
        from fupin.assistance.selectors import provide_visit_checks

        from .traces import visit_checks

        provide_visit_checks(visit_checks)
        from fupin.core.table_exports import register_table

        from .tables import CONFLICTS, DEVICES

        register_table(CONFLICTS)  # the sync conflicts to Excel
        register_table(DEVICES)  # the county's devices
