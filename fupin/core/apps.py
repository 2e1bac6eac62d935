from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fupin.core"
    label = "core"

    def ready(self) -> None:
        # Django 6.1's empty choice of a model <select> reads "- Select an option -", which Django's Chinese
        # catalogue leaves in English; fupin's own words, in both languages (Django invites this override in
        # ready()).
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("请选择")

        from .schedule import register_daily
        from .tasks import purge_exports

        register_daily("exports-purge", "03:30", purge_exports, _("删除已过期的导出文件"))
