"""The registry (建档立卡): households, their members, yearly incomes and guarantees.

Rules that the database itself holds: one person (ID number) in one household; one head
(户主) per household; one income record and one guarantee survey per household per year; money in Decimal yuan
with two places, never float.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core import money
from fupin.core.fields import BlindIndexField, CodeField, EncryptedField, EncryptedModel

from . import codes

MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0")}
AREA = {"max_digits": 10, "decimal_places": 2, "default": Decimal("0")}
CENT = Decimal("0.01")
# numeric(12, 2): each income field and the derived per-capita net income (and latest_income) stay below this
MONEY_BELOW = money.below_digits(MONEY["max_digits"])


class Household(EncryptedModel):
    number = CodeField(_("户编号"), max_length=20)  # unique: Meta.constraints
    # No index of its own: the (village, status, number) index below serves every village filter.
    village = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("行政村"),
        db_index=False,
    )
    group = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_households",
        verbose_name=_("自然村（组）"),
        db_index=False,  # indexed in Meta, without a pattern index nothing uses
    )
    status = models.CharField(
        _("户状态"), max_length=15, choices=codes.HouseholdStatus.choices, default=codes.HouseholdStatus.POOR
    )
    household_type = models.CharField(
        _("贫困户属性"), max_length=15, choices=codes.HouseholdType.choices, blank=True
    )
    identification_standard = models.CharField(
        _("识别标准"),
        max_length=12,
        choices=codes.IdentificationStandard.choices,
        default=codes.IdentificationStandard.NATIONAL,
    )
    primary_cause = models.CharField(
        _("主要致贫原因"), max_length=20, choices=codes.PovertyCause.choices, blank=True
    )
    other_causes = models.JSONField(_("其他致贫原因"), default=list, blank=True)

    # Denormalised from the head member, kept by services so lists need no join.
    head_name = models.CharField(_("户主姓名"), max_length=50, blank=True)
    head_initials = models.CharField(_("户主拼音首字母"), max_length=20, blank=True)
    size = models.PositiveSmallIntegerField(_("家庭人口数"), default=0)
    latest_income = models.DecimalField(
        _("最近年人均纯收入"), null=True, blank=True, max_digits=12, decimal_places=2
    )

    address = models.CharField(_("住址"), max_length=200, blank=True)
    # Encrypted at rest (fupin.core.crypto); max_length is the plain value's, checked by forms
    phone = EncryptedField(_("联系电话"), max_length=20, blank=True, purpose="phone")
    bank_name = models.CharField(_("开户银行"), max_length=50, blank=True)
    bank_account = EncryptedField(_("银行账号"), max_length=40, blank=True, purpose="bank_account")

    is_military_family = models.BooleanField(_("是否军烈属"), default=False)
    is_only_child = models.BooleanField(_("是否独生子女户"), default=False)
    is_two_daughters = models.BooleanField(_("是否双女户"), default=False)

    farmland_area = models.DecimalField(_("耕地面积（亩）"), **AREA)
    irrigated_area = models.DecimalField(_("有效灌溉面积（亩）"), **AREA)
    forest_area = models.DecimalField(_("林地面积（亩）"), **AREA)
    returned_forest_area = models.DecimalField(_("退耕还林面积（亩）"), **AREA)
    pasture_area = models.DecimalField(_("牧草地面积（亩）"), **AREA)
    water_area = models.DecimalField(_("水面面积（亩）"), **AREA)
    housing_area = models.DecimalField(_("住房面积（㎡）"), **AREA)
    is_dangerous_house = models.BooleanField(_("是否危房户"), default=False)
    road_distance_km = models.DecimalField(_("与村主干路距离（公里）"), **AREA)
    road_type = models.CharField(_("入户路类型"), max_length=10, choices=codes.RoadType.choices, blank=True)
    has_electricity = models.BooleanField(_("是否通生活用电"), default=True)
    has_broadcast_tv = models.BooleanField(_("是否通广播电视"), default=True)
    water_difficult = models.BooleanField(_("饮水是否困难"), default=False)
    water_safe = models.BooleanField(_("饮水是否安全"), default=True)
    fuel_type = models.CharField(_("主要燃料类型"), max_length=15, choices=codes.FuelType.choices, blank=True)
    has_sanitary_toilet = models.BooleanField(_("有无卫生厕所"), default=False)
    in_cooperative = models.BooleanField(_("是否加入农民专业合作社"), default=False)

    registration_year = models.PositiveSmallIntegerField(_("识别年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("脱贫年度"), null=True, blank=True)
    flags = models.JSONField(_("疑点标记"), default=list, blank=True)  # 拆户、分户、空挂户 …

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Raised by the database on every change of what a form or the API edits (migration 0008's trigger),
    # whoever writes it: an edit based on an older version is refused (fupin.core.versions), never silently
    # undone.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["village_id", "number"]
        indexes = [
            models.Index(fields=["village", "status", "number"], name="hh_village_status"),
            models.Index(fields=["village", "latest_income"], name="hh_village_income"),
            models.Index(fields=["group"], name="household_group"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="registry_household_number_key"),
            models.CheckConstraint(
                condition=models.Q(exit_year__isnull=True)
                | models.Q(registration_year__isnull=True)
                | models.Q(exit_year__gte=models.F("registration_year")),
                name="household_exit_after_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.head_name}"

    @property
    def region_code(self) -> str:
        return self.village_id

    @property
    def is_registered(self) -> bool:
        """建档立卡: the household's identification was announced (it is or was in the registry).

        Its key facts (status, type, years) and its make-up (members in or out, head) then
        change only through the procedures or a reviewed change request.
        """
        return self.status in codes.REGISTERED_STATUSES or self.registration_year is not None


class Member(EncryptedModel):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("户")
    )
    # Denormalised village code so member search is one index range per scope.
    village_code = CodeField(_("行政村代码"), max_length=15)
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = CodeField(_("拼音首字母"), max_length=20, blank=True)
    # Encrypted at rest (fupin.core.crypto); found and kept unique through its blind index, searched by the
    # last six characters through the second one (registry.selectors).
    id_number = EncryptedField(_("证件号码"), max_length=18, purpose="id_number")
    id_number_index = BlindIndexField(source="id_number", purpose="id_number")  # unique: Meta.constraints
    id_number_tail = BlindIndexField(source="id_number", purpose="id_number", last=6)
    sex = models.CharField(_("性别"), max_length=1, choices=codes.Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    relation = models.CharField(_("与户主关系"), max_length=20, choices=codes.Relation.choices)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=codes.ETHNICITIES, default="01")
    political_status = models.CharField(
        _("政治面貌"),
        max_length=10,
        choices=codes.PoliticalStatus.choices,
        default=codes.PoliticalStatus.MASSES,
    )
    education = models.CharField(_("文化程度"), max_length=25, choices=codes.Education.choices, blank=True)
    schooling = models.CharField(
        _("在校生状况"),
        max_length=20,
        choices=codes.SchoolingStatus.choices,
        default=codes.SchoolingStatus.NOT_IN_SCHOOL,
    )
    health = models.CharField(
        _("健康状况"), max_length=10, choices=codes.Health.choices, default=codes.Health.HEALTHY
    )
    labour_skill = models.CharField(
        _("劳动技能"), max_length=10, choices=codes.LabourSkill.choices, blank=True
    )
    work_status = models.CharField(
        _("务工状况"), max_length=20, choices=codes.WorkStatus.choices, default=codes.WorkStatus.NOT_WORKING
    )
    work_months = models.PositiveSmallIntegerField(_("务工时间（月）"), default=0)
    has_medical_insurance = models.BooleanField(_("是否参加城乡居民基本医疗保险"), default=True)
    has_serious_illness_insurance = models.BooleanField(_("是否参加大病保险"), default=True)
    has_pension_insurance = models.BooleanField(_("是否参加城乡居民基本养老保险"), default=False)
    has_accident_insurance = models.BooleanField(_("是否享受人身意外保险补贴"), default=False)
    is_active_military = models.BooleanField(_("是否现役军人"), default=False)
    disability_category = models.CharField(
        _("残疾类别"), max_length=15, choices=codes.DisabilityCategory.choices, blank=True, default=""
    )
    disability_level = models.CharField(
        _("残疾等级"), max_length=1, choices=codes.DisabilityLevel.choices, blank=True, default=""
    )
    phone = EncryptedField(_("联系电话"), max_length=20, blank=True, purpose="phone")
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # as Household.version

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        indexes = [
            # search by pinyin initials or by name within a scope: one index for both, the name read from it
            models.Index(
                fields=["village_code", "name_initials"], include=["name"], name="member_village_search"
            ),
            models.Index(fields=["id_number_tail"], name="member_id_number_tail"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(work_months__lte=12), name="member_work_months_le_12"),
            models.UniqueConstraint(fields=["id_number_index"], name="registry_member_id_number_key"),
            # 户主: one per household, held by the database so that two requests at once cannot both add one
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="member_one_head_per_household",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IncomeRecord(models.Model):
    """A household's income and expenditure for one year (年收入情况), in yuan."""

    # indexed by the (household, year) constraint
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("户"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    wages = models.DecimalField(_("工资性收入"), **MONEY)
    production = models.DecimalField(_("生产经营性收入"), **MONEY)
    property_income = models.DecimalField(_("财产性收入"), **MONEY)
    family_planning = models.DecimalField(_("计划生育金"), **MONEY)
    dibao = models.DecimalField(_("低保金"), **MONEY)
    wubao = models.DecimalField(_("特困供养金"), **MONEY)
    pension = models.DecimalField(_("养老保险金"), **MONEY)
    eco_compensation = models.DecimalField(_("生态补偿金"), **MONEY)
    other_transfers = models.DecimalField(_("其他转移性收入"), **MONEY)
    productive_expenditure = models.DecimalField(_("生产经营性支出"), **MONEY)
    household_size = models.PositiveSmallIntegerField(_("家庭人口数"))
    per_capita_net_income = models.DecimalField(_("年人均纯收入"), max_digits=12, decimal_places=2)
    recorded_at = models.DateTimeField(auto_now=True)

    TRANSFER_FIELDS = ("family_planning", "dibao", "wubao", "pension", "eco_compensation", "other_transfers")
    INCOME_FIELDS = ("wages", "production", "property_income") + TRANSFER_FIELDS

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("年收入")
        verbose_name_plural = _("年收入")
        ordering = ["household_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="income_one_per_household_year"),
            models.CheckConstraint(condition=models.Q(household_size__gte=1), name="income_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def transfers(self) -> Decimal:
        return sum((getattr(self, f) for f in self.TRANSFER_FIELDS), Decimal("0"))

    @property
    def total_income(self) -> Decimal:
        return sum((Decimal(getattr(self, f)) for f in self.INCOME_FIELDS), Decimal("0"))


class IncomeTooLarge(money.MoneyError):
    """Each income is within its limit, but the per-capita net income they give is not (numeric(12,2))."""


def per_capita_net_income(*, incomes, productive_expenditure, household_size: int) -> Decimal:
    """(sum of incomes − productive expenditure) ÷ household size, rounded half-up to the fen.

    IncomeTooLarge when the result would not fit the stored column (the same on SQLite, which would keep it,
    and PostgreSQL, which would refuse the whole transaction).
    """
    if household_size < 1:
        raise ValueError(gettext("家庭人口数须至少为1"))
    total = sum((Decimal(v) for v in incomes), Decimal("0")) - Decimal(productive_expenditure)
    result = (total / household_size).quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(result) >= MONEY_BELOW:
        raise IncomeTooLarge(
            gettext("由各项收入算得的年人均纯收入 %(value)s 元超过上限 %(value2)s 元：请检查各项收入金额")
            % {"value": money.format_yuan(result), "value2": money.format_yuan(MONEY_BELOW - CENT)}
        )
    return result


GUARANTEES = ("food", "clothing", "education", "medical", "housing", "water")
GUARANTEE_LABELS = {
    "food": _("不愁吃"),
    "clothing": _("不愁穿"),
    "education": _("义务教育有保障"),
    "medical": _("基本医疗有保障"),
    "housing": _("住房安全有保障"),
    "water": _("饮水安全有保障"),
}


class GuaranteeCheck(models.Model):
    """The 两不愁三保障 + drinking water checklist for one household in one survey year."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="guarantee_checks", verbose_name=_("户")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    checked_on = models.DateField(_("核查日期"))
    food = models.BooleanField(_("不愁吃"), default=True)
    clothing = models.BooleanField(_("不愁穿"), default=True)
    education = models.BooleanField(_("义务教育有保障"), default=True)
    medical = models.BooleanField(_("基本医疗有保障"), default=True)
    housing = models.BooleanField(_("住房安全有保障"), default=True)
    water = models.BooleanField(_("饮水安全有保障"), default=True)
    notes = models.JSONField(_("说明"), default=dict, blank=True)  # {item: note}
    evidence = models.FileField(_("佐证材料"), upload_to="guarantees/%Y/", blank=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("两不愁三保障核查")
        verbose_name_plural = _("两不愁三保障核查")
        ordering = ["household_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="guarantee_one_per_household_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def all_met(self) -> bool:
        return all(getattr(self, g) for g in GUARANTEES)

    @property
    def unmet(self) -> list[str]:
        return [g for g in GUARANTEES if not getattr(self, g)]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已完成")
    REJECTED = "rejected", _("有错误，未导入")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One upload of the national template: its progress, its outcome and its error report."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("上传人")
    )
    scope_code = models.CharField(_("导入范围"), max_length=15)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    only_valid_rows = models.BooleanField(_("只导入无错误的行"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    households_created = models.PositiveIntegerField(_("新增户数"), default=0)
    households_updated = models.PositiveIntegerField(_("更新户数"), default=0)
    members_created = models.PositiveIntegerField(_("新增人数"), default=0)
    members_updated = models.PositiveIntegerField(_("更新人数"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("未变化行数"), default=0)
    error_file = models.FileField(_("错误报告"), upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(_("说明"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ImportCommit(models.Model):
    """Written in an import's own committing transaction: its presence says the job's data is in the registry,
    its absence that none of it is, whatever became of the process that ran the job (fupin.registry.work)."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="commit")
    committed_at = models.DateTimeField(_("写入时间"))
    # SQLite writes a file chunk by chunk, each committing this record: through which row of the file the data
    # is in, and whether that is the whole file (PostgreSQL writes a file in one transaction: complete)
    rows = models.PositiveIntegerField(_("已写入行数"), default=0)
    chunks = models.PositiveIntegerField(_("已写入批数"), default=1)
    complete = models.BooleanField(_("全部写入"), default=True)

    class Meta:
        verbose_name = _("导入写入记录")
        verbose_name_plural = _("导入写入记录")

    def __str__(self) -> str:
        return str(_("导入 %(job)s 写入于 %(at)s") % {"job": self.job_id, "at": self.committed_at})


class ConsentScope(models.TextChoices):
    """Which departments' data a consent (电子授权书) lets the office check a member against."""

    INCOME = "income", _("收入（税务、工资、财政供养）")
    REAL_ESTATE = "real_estate", _("房产")
    VEHICLE = "vehicle", _("车辆")
    BUSINESS = "business", _("工商登记")
    SOCIAL_INSURANCE = "social_insurance", _("社会保险")


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("纸质授权书（扫描件）")
    SIGNATURE = "signature", _("手机上手写签名")
    IN_PERSON = "in_person", _("本人到场，工作人员确认")


class Consent(models.Model):
    """A member's authorisation (家庭经济状况核对授权书) for checking their economic situation with other
    departments: which kinds of data, when, how given; withdrawable. Cross-checks match only members holding
    one in force for the department's data (fupin.monitoring.matching); one column per scope so that the
    members' key query filters with one indexed EXISTS."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="consents", verbose_name=_("成员")
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="consents", verbose_name=_("户"), db_index=False
    )
    given_on = models.DateField(_("授权日期"))
    income = models.BooleanField(_("收入"), default=False)
    real_estate = models.BooleanField(_("房产"), default=False)
    vehicle = models.BooleanField(_("车辆"), default=False)
    business = models.BooleanField(_("工商登记"), default=False)
    social_insurance = models.BooleanField(_("社会保险"), default=False)
    method = models.CharField(_("授权方式"), max_length=10, choices=ConsentMethod.choices)
    evidence = models.FileField(_("授权书或签名"), upload_to="consents/%Y/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("经济状况核对授权")
        verbose_name_plural = _("经济状况核对授权")
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["household", "-given_on"], name="consent_household")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.given_on}"

    @property
    def scopes(self) -> list[str]:
        return [s for s in ConsentScope.values if getattr(self, s)]

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
