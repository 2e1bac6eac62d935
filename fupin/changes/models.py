"""Reviewed change requests (变更申请, maker-checker) to a registered household's key facts.

The village proposes a change with a reason and evidence, the township (or county) approves
it or sends it back, and applying it is one audited transaction. A request is an explicit state
machine: `ChangeRequest.status` moves only along `TRANSITIONS`, one service function per move.
`ChangeTarget` rows name every household, member and ID number a request touches, so two open
requests on the same ones are found by one indexed query.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import BlindIndexField, CodeField, EncryptedField, SealedJSONField


class ChangeKind(models.TextChoices):
    MEMBER_JOIN = "member_join", _("增员")
    MEMBER_LEAVE = "member_leave", _("减员")
    CHANGE_HEAD = "change_head", _("变更户主")
    MOVE_MEMBER = "move_member", _("成员转户")
    SPLIT_HOUSEHOLD = "split_household", _("分户")
    MERGE_HOUSEHOLDS = "merge_households", _("合户")
    TYPE_CHANGE = "type_change", _("贫困户属性变更")
    STATUS_CORRECTION = "status_correction", _("户状态更正")
    INCOME_CORRECTION = "income_correction", _("收入更正")
    MEMBER_IDENTITY = "member_identity", _("更正成员身份信息")
    GUARANTEE_CORRECTION = "guarantee_correction", _("更正两不愁三保障")


class JoinCause(models.TextChoices):
    BORN = "born", _("出生")
    MARRIED_IN = "married_in", _("婚入")
    MOVED_IN = "moved_in", _("迁入")


class LeaveCause(models.TextChoices):
    DIED = "died", _("死亡")
    MARRIED_OUT = "married_out", _("婚出")
    MOVED_OUT = "moved_out", _("迁出")


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准并生效")
    WITHDRAWN = "withdrawn", _("已撤回")


TRANSITIONS: dict[str, set[str]] = {
    ChangeStatus.PROPOSED: {ChangeStatus.APPROVED, ChangeStatus.RETURNED, ChangeStatus.WITHDRAWN},
    ChangeStatus.RETURNED: {ChangeStatus.PROPOSED, ChangeStatus.WITHDRAWN},
    ChangeStatus.APPROVED: set(),
    ChangeStatus.WITHDRAWN: set(),
}
# A returned request is still the village's to revise: it keeps its hold on what it touches.
OPEN_STATUSES = [ChangeStatus.PROPOSED, ChangeStatus.RETURNED]


class ChangeRequest(models.Model):
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="change_requests", verbose_name=_("户")
    )
    village_code = CodeField(
        _("行政村代码"), max_length=15
    )  # the household's village: scope is one index range
    kind = models.CharField(_("变更类型"), max_length=20, choices=ChangeKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    # ID numbers and phones inside are stored encrypted (fupin.core.fields.SealedJSONField)
    payload = SealedJSONField(_("变更内容"), default=dict)
    before = SealedJSONField(
        _("变更前"), default=dict
    )  # what the request was made against; checked again on approval
    reason = models.TextField(_("变更原因"))
    evidence_reference = models.CharField(
        _("佐证材料说明"), max_length=300, blank=True, help_text=_("如证明文件的名称、文号或存放处")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    # the household a split made, so the request's page can link to it
    created_household = models.ForeignKey(
        "registry.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("新立户"),
    )

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["village_code", "status"], name="change_village_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ChangeTarget(models.Model):
    """One household (and member, or new member's ID number) a request touches."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="targets")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    id_number = EncryptedField(max_length=18, blank=True, purpose="id_number")  # fupin.core.crypto
    id_number_index = BlindIndexField(source="id_number", purpose="id_number")

    class Meta:
        indexes = [models.Index(fields=["id_number_index"], name="change_target_id_number")]

    def __str__(self) -> str:
        return str(
            _("变更申请 %(request)s：户 %(household)s")
            % {"request": self.change_request_id, "household": self.household_id}
        )


class ChangeAction(models.Model):
    """The history of a request: who proposed, returned, resubmitted, approved or withdrew it, when, and
    why."""

    class Action(models.TextChoices):
        PROPOSE = "propose", _("提出申请")
        RESUBMIT = "resubmit", _("修改后重新提交")
        RETURN = "return", _("退回")
        APPROVE = "approve", _("批准并生效")
        WITHDRAW = "withdraw", _("撤回")
        EVIDENCE = "evidence", _("补充佐证材料")

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    role = models.CharField(_("角色"), max_length=20, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("变更申请操作")
        verbose_name_plural = _("变更申请操作")

    def __str__(self) -> str:
        return str(
            _("变更申请 %(request)s：%(action)s")
            % {"request": self.change_request_id, "action": self.get_action_display()}
        )


class Evidence(models.Model):
    """An uploaded file backing a request: an image or a PDF, checked by its content, not its name."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to="changes/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.name
