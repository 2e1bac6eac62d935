from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "fupin.disclosure"
    label = "disclosure"

    def ready(self):
        from fupin.core.table_exports import register_table

        from .tables import ARCHIVE, CURRENT

        register_table(CURRENT)  # the notices running now, to Excel
        register_table(ARCHIVE)  # the ended ones
