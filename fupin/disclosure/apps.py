from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "fupin.disclosure"
    label = "disclosure"
