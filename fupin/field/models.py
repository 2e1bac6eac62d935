"""The field app's devices (short-lived tokens, revocable by the county), the changes they sent (each once),
the conflicts a sync found, and where and when a visit sent from a phone really happened."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import EncryptedJSONField


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Device(models.Model):
    """A phone signed in to the field app. Its token is short-lived (FUPIN_FIELD_TOKEN_HOURS); the county
    revokes a lost phone, and a revoked device or a disabled account is told to wipe at its next contact."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices", verbose_name=_("用户")
    )
    uid = models.CharField(_("设备标识"), max_length=64)
    name = models.CharField(_("设备名称"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("令牌有效期至"))
    last_seq = models.PositiveBigIntegerField(_("已同步序号"), default=0)
    last_sync_at = models.DateTimeField(_("最近同步"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("设备")
        verbose_name_plural = _("设备")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["user", "uid"], name="field_device_user_uid")]

    def __str__(self) -> str:
        return self.name or self.uid

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def new_token() -> str:
        return "fd_" + secrets.token_urlsafe(32)


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("已接收")
    MERGED = "merged", _("已合并")
    REFUSED = "refused", _("被拒绝")
    CONFLICT = "conflict", _("有冲突")


class SyncedChange(models.Model):
    """One change a device sent, kept with its receipt line: a retry with the same key records nothing
    twice."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="changes")
    key = models.CharField(_("幂等键"), max_length=64)
    seq = models.PositiveBigIntegerField(_("设备序号"))
    kind = models.CharField(_("类型"), max_length=30)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    # a conflict's line names both values (a phone's, an ID number's): stored encrypted (fupin.core.fields)
    receipt = EncryptedJSONField(_("回执"), default=dict, purpose="sync_receipt")
    device_time = models.DateTimeField(_("设备时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("同步记录")
        verbose_name_plural = _("同步记录")
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="field_change_device_key")]

    def __str__(self) -> str:
        return str(
            _("设备 %(device)s 第 %(seq)s 条：%(kind)s")
            % {"device": self.device_id, "seq": self.seq, "kind": self.kind}
        )


class Conflict(models.Model):
    """A field changed both on the web and on a phone since the phone's copy: the newer value was kept, the
    phone's is here for the reviewer to settle (the village's and township's 同步冲突 page)."""

    change = models.ForeignKey(SyncedChange, on_delete=models.CASCADE, related_name="conflicts")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("户")
    )
    village_code = models.CharField(_("行政村代码"), max_length=15, db_index=True)
    record = models.CharField(_("记录"), max_length=100)
    field = models.CharField(_("字段"), max_length=50)
    label = models.CharField(_("项目"), max_length=100)
    # a conflict on a phone or an ID number holds its values: stored encrypted (fupin.core.fields)
    base = EncryptedJSONField(_("手机下载时的值"), null=True, purpose="sync_conflict")
    theirs = EncryptedJSONField(_("现值（已保留）"), null=True, purpose="sync_conflict")
    mine = EncryptedJSONField(_("手机上的值"), null=True, purpose="sync_conflict")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("同步冲突")
        verbose_name_plural = _("同步冲突")
        ordering = ["resolved_at", "-created_at"]

    def __str__(self) -> str:
        return str(_("%(label)s（%(record)s）冲突") % {"label": self.label, "record": self.record})


class VisitTrace(models.Model):
    """When and where a visit sent from a phone was made: the phone's clock, the server's, the location if
    given."""

    visit = models.OneToOneField("assistance.Visit", on_delete=models.CASCADE, related_name="trace")
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, related_name="+")
    device_time = models.DateTimeField(_("设备时间"))
    received_at = models.DateTimeField(_("服务器接收时间"), default=timezone.now)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("定位精度（米）"), null=True, blank=True)

    def __str__(self) -> str:
        return str(_("走访 %(visit)s 的痕迹") % {"visit": self.visit_id})


class PhotoTrace(models.Model):
    """A visit photo's own time (the phone's file time) and its perceptual hash (dHash, 64 bits as hex)."""

    photo = models.OneToOneField("assistance.VisitPhoto", on_delete=models.CASCADE, related_name="trace")
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    dhash = models.CharField(_("感知哈希"), max_length=16, db_index=True)

    def __str__(self) -> str:
        return str(_("照片 %(photo)s 的痕迹") % {"photo": self.photo_id})
