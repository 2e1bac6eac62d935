"""Users, their role and the region they are bound to; API tokens."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.regions.models import RegionLevel


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("村扶贫专干")
    VILLAGE_TEAM = "village_team", _("驻村工作队/第一书记")
    TOWNSHIP = "township", _("乡镇扶贫办")
    COUNTY = "county", _("县扶贫办")
    PREFECTURE = "prefecture", _("市级")
    PROVINCE = "province", _("省级")
    LIAISON = "liaison", _("部门联络员")
    HELPER = "helper", _("帮扶责任人")


# The region level each role is bound to (DESIGN.md section 5).
ROLE_LEVEL = {
    Role.VILLAGE_CLERK: RegionLevel.VILLAGE,
    Role.VILLAGE_TEAM: RegionLevel.VILLAGE,
    Role.TOWNSHIP: RegionLevel.TOWNSHIP,
    Role.COUNTY: RegionLevel.COUNTY,
    Role.PREFECTURE: RegionLevel.PREFECTURE,
    Role.PROVINCE: RegionLevel.PROVINCE,
}
# Roles that enter and correct registry records in their region.
EDITING_ROLES = {Role.VILLAGE_CLERK, Role.VILLAGE_TEAM, Role.TOWNSHIP, Role.COUNTY}
# Roles that work with full ID numbers and phones on a household's own page. A helper
# reads only the households paired to them (accounts.scope.household_filter), and needs
# their identifiers for the handbook and the visits.
IDENTIFIER_ROLES = EDITING_ROLES | {Role.HELPER}
# Roles that supervise and assess: they read their subtree and write nothing, by any route
# (accounts.middleware.ReadOnlyRolesMiddleware, the API's authentication, and the services).
READ_ONLY_ROLES = {Role.PREFECTURE, Role.PROVINCE}
# Roles that read no region's households land where their work is (the front door, fupin.core.views.home):
# a helper on the households paired to them, a liaison on the cross-check lists they upload.
ROLE_HOME = {Role.HELPER: "assistance:my_households", Role.LIAISON: "monitoring:check_list"}
# Roles that oversee whole counties: they see the audit chains of their counties (fupin.audit.selectors).
COUNTY_OVERSIGHT_ROLES = {Role.COUNTY, Role.PREFECTURE, Role.PROVINCE}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所属区划"),
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)  # fupin.core.versions

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(role=Role.LIAISON) | models.Q(region__isnull=False),
                name="user_role_needs_region",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope_prefix(self) -> str | None:
        """The region code prefix this user may read; None: nothing in the registry."""
        if self.is_superuser:
            return ""
        if self.role in ROLE_LEVEL and self.region_id:
            return self.region_id
        # A helper (帮扶责任人) reads no region as a whole: only the households paired to
        # them, through accounts.scope.household_filter, within `helper_region`.
        return None

    @property
    def helper_region(self) -> str | None:
        """The region a helper works in (any level); None for other roles."""
        return self.region_id if self.role == Role.HELPER and self.region_id else None

    @property
    def can_edit_registry(self) -> bool:
        return self.is_superuser or self.role in EDITING_ROLES

    @property
    def sees_identifiers(self) -> bool:
        return self.is_superuser or self.role in IDENTIFIER_ROLES

    @property
    def is_read_only(self) -> bool:
        """A supervising role (prefecture, province): reads its subtree, changes nothing."""
        return not self.is_superuser and self.role in READ_ONLY_ROLES

    @property
    def oversees_counties(self) -> bool:
        """A county office, prefecture or province: answers for the audit chains of the counties in its
        scope."""
        return self.role in COUNTY_OVERSIGHT_ROLES

    @property
    def is_county_office(self) -> bool:
        """Holds the county office's role (for core, which sits below accounts and reads it by name:
        fupin.core.work)."""
        return self.role == Role.COUNTY

    @property
    def home_page(self) -> str | None:
        """The URL name of the page made for this user's role, if it has one of its own (ROLE_HOME)."""
        return None if self.is_superuser else ROLE_HOME.get(self.role)

    def in_scope(self, code: str) -> bool:
        prefix = self.scope_prefix
        return prefix is not None and code.startswith(prefix)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# The API's areas a token may be limited to, by the first segment of the operation's path under /api/v1/. An
# operation of no area (me, regions) is open to every token; read-only tokens and read-only roles still write
# nothing.
API_AREAS = {
    "registry": _("户籍档案（建档立卡）"),
    "procedures": _("识别、退出程序"),
    "assistance": _("精准帮扶"),
    "monitoring": _("监测与核查"),
    "funds": _("项目资金与小额信贷"),
    "statistics": _("统计"),
    "declarations": _("自主申报"),
    "changes": _("变更申请"),
    "field": _("帮扶 App 设备"),
}
API_AREA_OF_SEGMENT = {
    "households": "registry",
    "members": "registry",
    "consents": "registry",
    "change-requests": "changes",
    "dci": "registry",  # the DCI social-registry search over the registry's households
    "department-events": "monitoring",
    **{area: area for area in API_AREAS},
}


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its hash is stored.

    `scopes` limits it to some areas ({area: "read" | "write"}); empty, the token reaches every area (as
    read_only says).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    expires_at = models.DateTimeField(_("有效期至"))
    read_only = models.BooleanField(_("只读"), default=False, help_text=_("只读令牌只能查询，不能修改数据"))
    scopes = models.JSONField(
        _("范围"), default=dict, blank=True, help_text=_("{领域: read|write}；空为全部领域")
    )

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return str(_("令牌 %(name)s（%(prefix)s…）") % {"name": self.name, "prefix": self.prefix})

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def allows(self, area: str | None, *, write: bool) -> bool:
        """May this token reach `area` (None: an operation of no area), reading or writing?"""
        if write and self.read_only:
            return False
        if area is None or not self.scopes:
            return True
        granted = self.scopes.get(area)
        return granted == "write" or (granted == "read" and not write)

    @classmethod
    def issue(
        cls, user: User, name: str, *, expires_at, read_only: bool = False, scopes: dict | None = None
    ) -> tuple["ApiToken", str]:
        raw = "fp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=hash_token(raw),
            prefix=raw[:8],
            expires_at=expires_at,
            read_only=read_only,
            scopes=scopes or {},
        )
        return token, raw
