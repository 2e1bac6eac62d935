"""What the admin site shares: read-only pages for records that only services may change, and
pages that save through a service."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here: the registry and the audit trail change
    only through services, which validate, keep derived fields and write the audit entry."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdmin(admin.ModelAdmin):
    """Added and changed here, but saved by the app's service, which checks the rule and writes
    the audit entry: `service(by=user, **{f: value for f in service_fields})` returns the saved
    row. The service finds its row by `key_fields`, so they are fixed once the row exists. Only
    administrators edit here, for whom the service's scope rules pass (the form has already
    checked the model's constraints); nothing is deleted, as no service deletes these rows."""

    service: Callable[..., models.Model]
    service_fields: tuple[str, ...] = ()
    key_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        return (*super().get_readonly_fields(request, obj), *(self.key_fields if obj is not None else ()))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self.service(by=request.user, **{f: getattr(obj, f) for f in self.service_fields})
        obj.pk = saved.pk
