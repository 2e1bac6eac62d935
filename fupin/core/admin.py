"""What the admin site shares: read-only pages for records that only services may change, and
pages that save through a service."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext

from . import versions


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here: the registry and the audit trail change
    only through services, which validate, keep derived fields and write the audit entry."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _versioned(form_class: Any, model: Any) -> Any:
    """The admin's change form carrying the version it was based on (fupin.core.versions): a save on top of
    another user's is refused with what they changed; the form then holds the user's values on the new
    version, so saving again (after looking) keeps the user's values knowingly."""

    class Versioned(form_class):
        based_on = forms.CharField(widget=forms.HiddenInput, required=False)

        @cached_property
        def changed_data(self) -> list[str]:  # the version is no data of the record (nor of its audit entry)
            return [name for name in super().changed_data if name != versions.FIELD]

        def _shown(self, record: Any) -> dict:
            return model_to_dict(record, fields=[f for f in self.fields if f != versions.FIELD])

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields[versions.FIELD].initial = versions.form_token(
                self.instance, self._shown(self.instance)
            )

        def clean(self) -> Any:
            cleaned = super().clean()
            form: Any = self
            data = form.data
            expected, base = versions.posted(data)
            current = model.objects.get(pk=self.instance.pk)
            if expected == current.version:
                return cleaned
            now = self._shown(current)
            moved = [
                f"{self.fields[name].label}："
                f"{versions.plain(value) if value not in (None, '') else versions.EMPTY}"
                for name, value in now.items()
                if base is None or str(versions.plain(value)) != str(base.get(name))
            ]
            form.data = data.copy()
            form.data[versions.FIELD] = versions.form_token(current, now)
            raise ValidationError(
                gettext("%(message)s。对方保存的值：%(values)s")
                % {
                    "message": gettext(versions.MESSAGE),
                    "values": "；".join(moved) or gettext("（无字段变动）"),
                }
            )

    return Versioned


class VersionedAdmin(admin.ModelAdmin):
    """A change page whose form carries its record's version (models with a `version` column)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if "fields" not in kwargs:  # as ModelAdmin would, less the version's own field (not the model's)
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"]:
            kwargs["fields"] = [f for f in kwargs["fields"] if f != versions.FIELD]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not hasattr(obj, "version"):
            return form
        return _versioned(form, type(obj))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None or not hasattr(obj, "version"):
            return fieldsets
        named = [name for _, options in fieldsets for name in options.get("fields", ())]
        if versions.FIELD not in named:
            fieldsets.append((None, {"fields": (versions.FIELD,), "classes": ("hidden",)}))
        return fieldsets


class ServiceAdmin(VersionedAdmin):
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
