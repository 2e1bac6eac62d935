from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AuditConfig(AppConfig):
    name = "fupin.audit"
    label = "audit"

    def ready(self):
        from fupin.core.schedule import register_daily

        from .tasks import anchor_chains

        register_daily("audit-anchor", "00:10", anchor_chains, gettext_lazy("记录当日各审计链末端（锚点）"))
