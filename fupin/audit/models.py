"""The audit trail: who changed what, when, acting in which role and region; hash-chained per county
(fupin.audit.chain) so that a row altered, deleted or inserted behind the services' back shows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import CodeField


class AuditEntry(models.Model):
    # `at` is set when the entry is made (not by the database): it is part of the chained content.
    at = models.DateTimeField(_("时间"), default=timezone.now, editable=False, db_index=True)
    # The links to the user and household carry no database constraint and are not nulled when those go:
    # the ids are part of the chained content, so they must stay as they were recorded.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("操作人"), max_length=150)
    role = models.CharField(_("角色"), max_length=20, blank=True)
    region_code = models.CharField(_("操作人区划"), max_length=15, blank=True)
    action = models.CharField(_("操作"), max_length=40)
    target_type = CodeField(_("对象类型"), max_length=50)
    target_id = CodeField(_("对象"), max_length=40)
    target_label = models.CharField(_("对象名称"), max_length=200, blank=True)
    household = models.ForeignKey(  # indexed by (household, -at) below
        "registry.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_index=False,
    )
    scope_code = CodeField(_("记录所在区划"), max_length=15, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    # the chain: the county (first six digits of scope_code, "" for entries without a county), the entry's
    # number in it, the previous entry's hash and this one's (sha256 of the previous hash, chain, seq,
    # content)
    chain = CodeField(_("审计链"), max_length=6, blank=True, default="")
    seq = models.BigIntegerField(_("链内序号"))
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["household", "-at"]),
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["scope_code"], name="audit_scope"),
        ]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target_label}"


class ChainHead(models.Model):
    """The last entry of each chain. Writers lock this row (SELECT … FOR UPDATE) so that two of them
    appending to one county's chain at once take turns instead of forking it."""

    chain = CodeField(_("审计链"), max_length=6, primary_key=True)
    seq = models.BigIntegerField(_("链内序号"), default=0)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链末端")
        verbose_name_plural = _("审计链末端")

    def __str__(self) -> str:
        return f"{self.chain or '-'} #{self.seq} {self.hash[:12]}"


class Anchor(models.Model):
    """A chain's head as it was on a day (fupin audit-anchor, run daily; a chain that did not move since its
    last anchor gets none). A later rewrite of the chain
    from an earlier point no longer matches it; copies are kept outside the database too (a file)."""

    chain = CodeField(_("审计链"), max_length=6, blank=True)
    seq = models.BigIntegerField(_("链内序号"))
    hash = models.CharField(_("哈希"), max_length=64)
    day = models.DateField(_("日期"))
    made_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审计链锚点")
        verbose_name_plural = _("审计链锚点")
        ordering = ["-day", "chain", "-seq"]
        indexes = [models.Index(fields=["chain", "seq"], name="audit_anchor_chain_seq")]

    def __str__(self) -> str:
        return f"{self.day} {self.chain or '-'} #{self.seq} {self.hash[:12]}"


class AccessedPerson(models.Model):
    """One person an access-log entry (an AuditEntry whose action starts with "access.", fupin.audit.access)
    showed unmasked: written with the entry, so the county can find who looked at a person and how many
    persons a user looked at in an hour. The entry itself, in the chain, names the persons too: a row removed
    here shows there. A person not registered as a member (a declarant, 申报人) has no member id: `record`
    names the record whose values were shown ("declaration:12"), so the hourly count counts them too."""

    entry = models.ForeignKey(
        AuditEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="persons"
    )
    member_id = models.BigIntegerField(_("成员"), null=True, blank=True)
    record = models.CharField(_("未登记人员的记录"), max_length=40, blank=True)
    household_id = models.BigIntegerField(_("户"), null=True, blank=True)
    user_id = models.BigIntegerField(_("查看人"), null=True, blank=True)
    at = models.DateTimeField(_("时间"))
    scope_code = CodeField(_("记录所在区划"), max_length=15, blank=True)

    class Meta:
        verbose_name = _("查看记录涉及的人员")
        verbose_name_plural = _("查看记录涉及的人员")
        indexes = [
            models.Index(fields=["member_id"], name="access_member"),
            models.Index(fields=["user_id", "at"], name="access_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.member_id or self.record}"
