"""Subscriptions (订阅, webhooks): another system told of what happens in a county. An event is written to the
outbox (`Event`) in the transaction of the change it reports, with one `Delivery` per subscription it
concerns; a background task sends each, signed, and retries with back-off (fupin.subscriptions.delivery)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import EncryptedField


class EventType(models.TextChoices):
    HOUSEHOLD_IDENTIFIED = "household.identified", _("户识别为贫困户")
    HOUSEHOLD_EXITED = "household.exited", _("户脱贫")
    HOUSEHOLD_RELAPSED = "household.relapsed", _("户返贫")
    MONITORING_ENTERED = "monitoring.entered", _("纳入监测")
    MONITORING_LEFT = "monitoring.left", _("风险消除，退出监测")
    NOTICE_PUBLISHED = "notice.published", _("公示、公告发布")
    PROBLEM_OPENED = "problem.opened", _("问题登记")
    PROBLEM_CLOSED = "problem.closed", _("问题销号")


# The API area (accounts.models.API_AREAS) an event belongs to: a subscription made with a token limited to
# some
# areas receives only the events of the areas it may read.
EVENT_AREA = {
    EventType.HOUSEHOLD_IDENTIFIED: "procedures",
    EventType.HOUSEHOLD_EXITED: "procedures",
    EventType.HOUSEHOLD_RELAPSED: "procedures",
    EventType.MONITORING_ENTERED: "monitoring",
    EventType.MONITORING_LEFT: "monitoring",
    EventType.NOTICE_PUBLISHED: "procedures",
    EventType.PROBLEM_OPENED: "monitoring",
    EventType.PROBLEM_CLOSED: "monitoring",
}


class Subscription(models.Model):
    """A receiver's URL and the events it wants, in the scope it was made in: the owner's region (a county)
    and, made
    through the API, the areas its token could read. Its secret signs every delivery; only its encryption is
    kept."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("订阅人")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("订阅范围")
    )
    name = models.CharField(_("名称"), max_length=100)
    target_url = models.CharField(_("接收地址"), max_length=500)
    # stored encrypted (fupin.core.crypto), so fupin rotate-keys moves it to a new key with the other columns
    secret = EncryptedField(max_length=100, editable=False, purpose="webhook_secret")
    event_types = models.JSONField(_("事件类型"), default=list)
    areas = models.JSONField(_("令牌领域"), default=dict, blank=True)  # {area: read|write}; empty: every area
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """One thing that happened, as the outbox keeps it: its id (the receivers' idempotency key), type, time,
    region,
    and the data every receiver gets (no names, no ID numbers: fupin.subscriptions.events)."""

    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("事件类型"), max_length=30, choices=EventType.choices)
    region_code = models.CharField(_("区划代码"), max_length=15)
    occurred_at = models.DateTimeField(_("发生时间"))
    data = models.JSONField(_("内容"), default=dict)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("失败，不再重试")


class Delivery(models.Model):
    """An event on its way to one subscription: sent until the receiver answers 2xx, at most
    FUPIN_WEBHOOK_MAX_ATTEMPTS times with back-off; `next_attempt_at` is also the claim of the worker sending
    it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近一次状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近一次错误"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the receiver's status code (none: no answer) or the error, how long it
    took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("时间"))
    status_code = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    milliseconds = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)

    class Meta:
        verbose_name = _("投递尝试")
        verbose_name_plural = _("投递尝试")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S}"
