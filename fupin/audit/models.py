"""The audit trail: who changed what, when, acting in which role and region."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import CodeField


class AuditEntry(models.Model):
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(_("操作人"), max_length=150)
    role = models.CharField(_("角色"), max_length=20, blank=True)
    region_code = models.CharField(_("操作人区划"), max_length=15, blank=True)
    action = models.CharField(_("操作"), max_length=40)
    target_type = CodeField(_("对象类型"), max_length=50)
    target_id = CodeField(_("对象"), max_length=40)
    target_label = models.CharField(_("对象名称"), max_length=200, blank=True)
    household = models.ForeignKey(  # indexed by (household, -at) below
        "registry.Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries", db_index=False,
    )
    scope_code = CodeField(_("记录所在区划"), max_length=15, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["household", "-at"]), models.Index(fields=["target_type", "target_id"]),
                   models.Index(fields=["scope_code"], name="audit_scope")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target_label}"
