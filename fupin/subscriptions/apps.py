from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "fupin.subscriptions"
    label = "subscriptions"
    verbose_name = "事件订阅（Webhook）"
