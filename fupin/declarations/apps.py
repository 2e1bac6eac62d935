from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "fupin.declarations"
    label = "declarations"
    verbose_name = "农户自主申报"

    def ready(self):
        # Monitoring sits beside this app and never imports it: it tells us when a case a declaration opened moves on.
        from fupin.monitoring.services import on_stage_change

        from .services import follow_case

        on_stage_change(follow_case)
