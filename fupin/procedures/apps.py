from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "fupin.procedures"
    label = "procedures"
