from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AccessConfig(AppConfig):
    name = "fupin.access"
    label = "access"
    verbose_name = "个人信息查看记录"

    def ready(self) -> None:
        # unusual reading (fupin.audit.access) opens an item in the county's problem ledger
        from fupin.audit.access import provide_alarm

        from .services import open_unusual_reading_problem

        provide_alarm(open_unusual_reading_problem)

        from fupin.core.schedule import register_daily

        from .tasks import purge_expired

        register_daily(
            "purge-expired",
            "03:20",
            purge_expired,
            gettext_lazy("清除到期的个人信息查看记录和变更申请佐证材料"),
        )
