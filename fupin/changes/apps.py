from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "fupin.changes"
    label = "changes"
    verbose_name = "变更申请"
