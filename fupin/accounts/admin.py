from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fupin.audit.admin import AuditedAdmin
from fupin.audit.services import record
from fupin.core.admin import ReadOnlyAdmin, VersionedAdmin

from . import services
from .models import ROLE_LEVEL, ApiToken, Role, User


class UserForm(UserChangeForm):
    def clean(self):
        cleaned = super().clean()
        role, region = cleaned.get("role"), cleaned.get("region")
        if role in ROLE_LEVEL:
            level = ROLE_LEVEL[Role(role)]
            if region is None:
                self.add_error("region", _("该角色须绑定到%(level)s级区划") % {"level": level.label})
            elif region.level != level:
                self.add_error(
                    "region",
                    _("%(role)s须绑定到%(level)s级区划，%(name)s不是")
                    % {
                        "role": Role(role).label,
                        "level": level.label,
                        "name": region.name,
                    },
                )
        return cleaned


@admin.register(User)
class UserAdmin(VersionedAdmin, AuditedAdmin, DjangoUserAdmin):
    form = UserForm
    list_display = ("username", "full_name", "role", "region", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("username", "full_name", "region__name", "region__code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("岗位"), {"fields": ("full_name", "role", "region")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)
    actions = ["unlock_sign_in", "remove_second_factor"]

    def user_change_password(self, request, id, form_url=""):
        """The admin's password reset (Django's form runs the validators), recorded in fupin's audit trail
        too."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                record(
                    by=request.user,
                    action="reset_password",
                    target=user,
                    scope_code=user.region_id or "",
                    changes={"password": ["***", "***"]},
                )
        return response

    def _for_each(self, request, queryset, service, done: str):
        """Run an account service on each selected user; one message for the refusal or the count done."""
        try:
            for user in queryset:
                service(user, by=request.user)
        except services.AccountError as e:
            self.message_user(request, str(e), messages.ERROR)
        else:
            self.message_user(request, done % {"n": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("解除登录锁定"))
    def unlock_sign_in(self, request, queryset):
        self._for_each(request, queryset, services.unlock, _("已解除 %(n)d 个用户的登录锁定"))

    @admin.action(description=_("解除两步验证（手机丢失时）"))
    def remove_second_factor(self, request, queryset):
        self._for_each(request, queryset, services.remove_totp, _("已解除 %(n)d 个用户的两步验证"))


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "read_only",
        "last_used_at",
        "revoked",
    )
    list_filter = ("revoked",)
    search_fields = ("name", "user__username", "prefix")
    exclude = ("key_hash",)


def _sign_in_for_admin(request, extra_context=None):
    """The admin signs in through fupin's own sign-in (lockout, second factor), not a login form of its
    own."""
    if request.user.is_authenticated:  # signed in, but not staff: the admin is not theirs
        raise PermissionDenied(_("您没有进入系统管理的权限"))
    return redirect_to_login(
        request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"), reverse("accounts:login")
    )


admin.site.login = _sign_in_for_admin
