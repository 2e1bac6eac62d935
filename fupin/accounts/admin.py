from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from fupin.core.admin import ReadOnlyAdmin

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
                self.add_error("region", _("%(role)s须绑定到%(level)s级区划，%(name)s不是") % {
                    "role": Role(role).label, "level": level.label, "name": region.name,
                })
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "user__username", "prefix")
    exclude = ("key_hash",)
