"""Declarations (农户自主申报): a household's own report of a hardship, or one taken by staff from the
hotline, a visit, a cadre's check or a department's warning, and the working-day clock that runs over it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.core.fields import BlindIndexField, EncryptedField, EncryptedModel


class Channel(models.TextChoices):
    SELF = "self", _("自主申报")
    HOTLINE = "hotline", _("12317热线")
    WALK_IN = "walk_in", _("来访")
    CADRE = "cadre_check", _("干部排查")
    DEPARTMENT = "department", _("部门预警")


STAFF_CHANNELS = [Channel.HOTLINE, Channel.WALK_IN, Channel.CADRE, Channel.DEPARTMENT]


class Hardship(models.TextChoices):
    ILLNESS = "illness", _("生病")
    ACCIDENT = "accident", _("意外事故")
    DISASTER = "disaster", _("自然灾害")
    SCHOOLING = "schooling", _("上学费用")
    JOB_LOSS = "job_loss", _("失业或收入减少")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    RECEIVED = "received", _("已受理，待入户核实")
    IN_PROCEDURE = "in_procedure", _("已核实，村民主评议和乡镇审核中")
    REVIEWED = "reviewed", _("乡镇已审核，待县级认定")
    CONCLUDED = "concluded", _("已纳入监测帮扶")
    REJECTED = "rejected", _("不予纳入")


TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.IN_PROCEDURE, Status.REJECTED},
    Status.IN_PROCEDURE: {Status.REVIEWED, Status.CONCLUDED, Status.REJECTED},
    Status.REVIEWED: {Status.CONCLUDED, Status.REJECTED, Status.IN_PROCEDURE},  # back: the county returned it
    Status.CONCLUDED: set(),
    Status.REJECTED: set(),
}
OPEN_STATUSES = [Status.RECEIVED, Status.IN_PROCEDURE, Status.REVIEWED]


class Route(models.TextChoices):
    """The procedure a verified declaration enters (DESIGN.md: 监测户 since 2021; identification or relapse
    where the province still runs them for a household that qualifies)."""

    MONITORING = "monitoring", _("纳入监测（监测户认定程序）")
    IDENTIFICATION = "identification", _("申请识别为贫困户（本年度识别程序）")
    RELAPSE = "relapse", _("返贫（本年度返贫程序）")


class Step(models.TextChoices):
    """The steps that have a deadline, each owned by one level (the level the problem ledger holds to
    account)."""

    VERIFY = "verify", _("村入户核实")
    REVIEW = "review", _("村评议和乡镇审核")
    DECIDE = "decide", _("县级认定（全流程）")


# The step an open status waits for.
STEP_OF = {Status.RECEIVED: Step.VERIFY, Status.IN_PROCEDURE: Step.REVIEW, Status.REVIEWED: Step.DECIDE}


class Declaration(EncryptedModel):
    receipt = models.CharField(_("回执号"), max_length=16, unique=True)
    channel = models.CharField(_("申报渠道"), max_length=12, choices=Channel.choices)
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("村")
    )
    name = models.CharField(_("申报人姓名"), max_length=50)
    id_number = EncryptedField(_("身份证号"), max_length=18, purpose="id_number")  # fupin.core.crypto
    id_number_index = BlindIndexField(source="id_number", purpose="id_number")
    phone = EncryptedField(_("手机号"), max_length=11, blank=True, purpose="phone")
    phone_index = BlindIndexField(
        source="phone", purpose="phone", db_index=True
    )  # a phone's declarations a day
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declarations",
        verbose_name=_("关联户"),
    )
    hardship = models.CharField(_("困难类别"), max_length=12, choices=Hardship.choices)
    description = models.TextField(_("情况说明"))
    consent = models.BooleanField(_("同意授权核查家庭情况"), default=False)
    consent_at = models.DateTimeField(_("授权时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(_("受理时间"))
    received_on = models.DateField(_("受理日期"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受理人"),
    )
    source_signal = models.OneToOneField(
        "monitoring.RiskSignal", on_delete=models.SET_NULL, null=True, blank=True, related_name="declaration"
    )
    source_finding = models.OneToOneField(
        "monitoring.Finding", on_delete=models.SET_NULL, null=True, blank=True, related_name="declaration"
    )
    verify_due = models.DateField(_("入户核实时限"))
    review_due = models.DateField(_("乡镇审核时限"), null=True, blank=True)
    total_due = models.DateField(_("办结时限"))
    due_on = models.DateField(
        _("当前环节时限"), null=True, blank=True
    )  # the open step's deadline: lists sort on it
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核实人"),
    )
    findings = models.TextField(_("入户核实情况"), blank=True)
    rejection_reason = models.TextField(_("不予纳入理由"), blank=True)
    case = models.OneToOneField(
        "monitoring.MonitoredHousehold",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declaration",
        verbose_name=_("监测程序"),
    )
    entry = models.OneToOneField(
        "procedures.BatchHousehold",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declaration",
        verbose_name=_("识别或返贫程序中的户"),
    )
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        indexes = [
            models.Index(fields=["village", "status", "due_on"], name="declaration_region_due"),
            models.Index(fields=["id_number_index", "status"], name="declaration_person"),
        ]
        constraints = [
            # One open declaration per person: a second one is refused, never stored twice.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="declaration_one_open_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def step(self) -> str | None:
        return STEP_OF.get(self.status)

    @property
    def status_text(self) -> str:
        """The status as the household reads it: a case concluded by an identification or relapse procedure
        was announced as a poor household, not taken into monitoring."""
        if self.status == Status.CONCLUDED and self.entry_id:
            return str(_("经公告认定为贫困户，纳入帮扶"))
        return str(self.get_status_display())


class DeclarationEvent(models.Model):
    """The declaration's history as the household sees it on the status page (no names of staff, no notes)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices)
    label = models.CharField(_("进展"), max_length=100)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return str(
            _("申报 %(declaration)s：%(label)s") % {"declaration": self.declaration_id, "label": self.label}
        )


class Photo(models.Model):
    """A photo sent with the declaration, or taken at the home verification; stored re-encoded
    (core.images)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to="declarations/%Y/%m/")
    at_verification = models.BooleanField(_("入户核实照片"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(_("申报 %(declaration)s 的照片") % {"declaration": self.declaration_id})


class Overdue(models.Model):
    """A step that missed its deadline, with the problem-ledger item opened for it: one per declaration and
    step, so the sweep may run any number of times."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="overdue_steps")
    step = models.CharField(_("环节"), max_length=8, choices=Step.choices)
    due_on = models.DateField(_("时限"))
    problem = models.ForeignKey("monitoring.Problem", on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField(_("发现日期"))
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["declaration", "step"], name="overdue_once_per_step")]

    def __str__(self) -> str:
        return str(
            _("%(step)s超期（时限 %(due_on)s）") % {"step": self.get_step_display(), "due_on": self.due_on}
        )


class PhoneCode(EncryptedModel):
    """A one-time code sent to a phone. Kept in the database (not a process's memory) so any worker can check
    it; only its hash is stored, and the phone encrypted (fupin.core.crypto), found by its blind index."""

    phone = EncryptedField(max_length=11, purpose="phone")
    phone_index = BlindIndexField(source="phone", purpose="phone", db_index=True)
    code_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:  # never the phone: it is personal data, kept encrypted
        return str(_("%(sent_at)s 发出的验证码") % {"sent_at": self.sent_at})
