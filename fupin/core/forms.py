"""What every fupin form shares: its look, and how a service's refusal lands on its fields."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.renderers import DjangoTemplates

from .errors import ServiceError

CENT = Decimal("0.01")


class DateBox(forms.DateInput):
    """A date field's `<input type=date>`: its value always ISO (2026-12-06), all a browser's date box reads,
    whatever the language's format (zh-hans writes 2026/12/06: the box showed empty, and a form saved as shown
    refused or lost the date)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class FormRenderer(DjangoTemplates):
    """Fields render with their label, help and Chinese error message next to the input."""

    field_template_name = "core/field.html"


class RefusalOnFields:
    """How a service's refusal lands on a form's fields (mixed into ServiceForm, and into a ModelForm that
    only checks what a service then saves)."""

    error_fields: dict[str, str] = {}  # a service's error key → the form field that shows it

    if TYPE_CHECKING:  # the form's, which it is mixed into
        fields: dict[str, forms.Field]

        def add_error(self, field: str | None, error: Any) -> None: ...

    def add_service_errors(
        self, errors: ServiceError | dict, field_map: dict[str, str | None] | None = None
    ) -> None:
        """Put a refusal (a ServiceError, or its {field: message}) on the matching fields, the rest at the
        top.

        `field_map` renames a service's keys for this call (a key mapped to None goes to the top),
        on top of the form's own `error_fields`.
        """
        if isinstance(errors, ServiceError):
            errors = errors.errors
        mapping = {**self.error_fields, **(field_map or {})}
        for field, message in errors.items():
            name = mapping.get(field, field)
            self.add_error(name if name in self.fields else None, message)


class ServiceForm(RefusalOnFields, forms.Form):
    """A form that validates input for a service call rather than saving a model itself.

    Subclasses may name `sections`, a list of (title, [field names]), to group fields the
    way the national form does.
    """

    default_renderer = FormRenderer()
    sections: list[tuple[str, list[str]]] = []

    def grouped(self) -> list:
        """[(title, [bound fields])] for the template; ungrouped fields come last."""
        seen = set()
        out = []
        for title, names in self.sections:
            fields = [self[n] for n in names if n in self.fields]
            seen.update(names)
            if fields:
                out.append((title, fields))
        rest = [self[n] for n in self.fields if n not in seen]
        if rest:
            out.append(("", rest))
        return out

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Money and areas carry exactly two places, so "0" and "0.00" are the same value to the audit trail.
        for name, value in cleaned.items():
            if isinstance(value, Decimal) and isinstance(self.fields[name], forms.DecimalField):
                cleaned[name] = value.quantize(CENT)
        return cleaned
