"""Optimistic versions: an edit carries the version of the record it was based on, and a save on top of a
newer version is refused with what changed meanwhile, never silently undoing the other writer's change.

A versioned model has a `version` column the database raises on every change of an edited column (the
registry's migration 0009 triggers), whoever writes. Forms carry the version and the values the user saw in
one signed hidden field (`token`, read back by `posted`); the API carries the version as the ETag and
If-Match (`etag`, `if_match`). Services call `check` under their row lock.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from .errors import ServiceError

SALT = "fupin.core.versions"
FIELD = "based_on"  # the hidden form field holding the token
MESSAGE = gettext_noop("保存前，此记录已被他人修改。请核对下列变动，逐项选择保留对方的值或您的值，然后再保存")
EMPTY = "（空）"


def plain(value: Any) -> Any:
    """A field's value as JSON-friendly data, equal for equal values (2.5 and 2.50 are one amount)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _field(record: models.Model, name: str) -> models.Field:
    return cast(models.Field, record._meta.get_field(name))


def state(record: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The edited fields' current values of the record, as `plain` data."""
    return {name: plain(getattr(record, _field(record, name).attname)) for name in fields}


def display(record: models.Model, name: str, value: Any) -> str:
    """How a plain value of the field reads on a page: the choice's label, 是/否, or the text itself."""
    field = _field(record, name)
    if value in (None, "", []):
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    labels = {str(k): str(v) for k, v in (field.flatchoices or [])}
    if isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


@dataclass(frozen=True)
class Change:
    """One field another writer changed since the edit's version: its value now (theirs) and the edit's
    (mine)."""

    field: str
    label: str
    theirs: str
    mine: str
    # what the merge form proposes: the user's own value where they changed the field, theirs otherwise
    keep: str


class VersionConflict(ServiceError):
    """The record is at another version than the edit was based on; nothing was saved."""

    def __init__(self, record: Any, changes: list[Change], fields: Iterable[str]) -> None:
        self.record = record
        self.version = record.version
        self.changes = changes
        self.current = state(record, fields)
        self.message = MESSAGE
        super().__init__({"__all__": MESSAGE})


def check(
    record: Any, expected: int | None, *, edit: dict[str, Any], base: dict[str, Any] | None = None
) -> None:
    """Refuse `edit` ({field: value}) of the locked `record` unless it was based on the record's version.

    `base`, the values the user saw (a form's), tells the fields the other writer changed from those the
    user changed; without it every field the edit would set differently from the record is listed. No
    `expected` (None) is a caller inside the product, or an API client's explicit If-Match: *.
    """
    if expected is None or expected == record.version:
        return
    fields = list(base or edit)
    now = state(record, fields)
    mine = {name: plain(value) for name, value in edit.items()}
    changes = []
    for name in fields:
        moved = (
            now[name] != base[name]
            if base is not None and name in base
            else now[name] != mine.get(name, now[name])
        )
        if not moved or now[name] == mine.get(name, now[name]):
            continue
        mine_changed = base is None or (name in mine and mine[name] != base.get(name))
        changes.append(
            Change(
                name,
                str(_field(record, name).verbose_name),
                display(record, name, now[name]),
                display(record, name, mine.get(name, now[name])),
                "mine" if mine_changed else "theirs",
            )
        )
    raise VersionConflict(record, changes, fields)


def token(record: Any, fields: Iterable[str]) -> str:
    """The hidden form value naming the version and the values the form shows."""
    return signing.dumps({"v": record.version, "s": state(record, fields)}, salt=SALT, compress=True)


def conflict_token(conflict: VersionConflict) -> str:
    """The token a merge form carries: the edit is now based on the version the conflict found."""
    return signing.dumps({"v": conflict.version, "s": conflict.current}, salt=SALT, compress=True)


def posted(data: Mapping[str, Any]) -> tuple[int, dict[str, Any] | None]:
    """The version and base values a posted form was based on. A form without a valid token (an old page, a
    tampered field) is based on version 0, which no record has: its save is shown as a conflict."""
    try:
        based = signing.loads(data.get(FIELD) or "", salt=SALT)
        return int(based["v"]), dict(based["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return 0, None


def keep_theirs(cleaned: dict[str, Any], data: Mapping[str, Any], record: models.Model) -> dict[str, Any]:
    """The form's values with the record's current value wherever the merge form says "keep theirs"."""
    out = dict(cleaned)
    for name in cleaned:
        if data.get(f"keep_{name}") == "theirs":
            out[name] = getattr(record, name)
    return out


def etag(record: Any) -> str:
    return f'"{record.version}"'


def if_match(header: str | None) -> int | None:
    """The version an If-Match header names: None for "*" (any version, RFC 9110), -1 for one that names
    none."""
    value = (header or "").strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip().strip('"')
    return int(value) if value.isdigit() else -1


def form_state(
    request: HttpRequest, record: Any, fields: Iterable[str], conflict: VersionConflict | None = None
) -> str:
    """The token a form page renders: the record's for a fresh form, a merge's after a conflict, and the
    posted one when the page comes back with other errors (the edit stays based on what the user saw)."""
    if conflict is not None:
        return conflict_token(conflict)
    if request.method == "POST":
        return request.POST.get(FIELD, "")
    return token(record, fields)


# --- forms whose fields are not the model's own (amounts in yuan, notes per item, related rows)
#
# The same token, conflict and merge as above, compared in the form's terms: the view gives the form's initial
# values for the record (what the form shows), the service only checks the version (`check` without `edit`),
# and on a conflict the view lists the fields that changed meanwhile from the record's initial values now.


def form_token(record: Any | None, initial: Mapping[str, Any]) -> str:
    """The hidden value of a form showing `initial` for `record`; version 0 when there is no record yet (an
    entry that creates it, such as a year's income): a record another user creates meanwhile is a conflict."""
    version = record.version if record is not None else 0
    return signing.dumps({"v": version, "s": plain(dict(initial))}, salt=SALT, compress=True)


def _posted_value(value: Any) -> list[str]:
    value = plain(value)
    if value is None or value is False:
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def merged(data: Any, current: Mapping[str, Any]) -> Any:
    """The posted data with the record's current value (its form initial) wherever the merge says "keep
    theirs"."""
    keep = [key.removeprefix("keep_") for key, value in data.items() if key.startswith("keep_")]
    keep = [name for name in keep if data.get(f"keep_{name}") == "theirs" and name in current]
    if not keep:
        return data
    out = data.copy()
    for name in keep:
        out.setlist(name, _posted_value(current[name]))
    return out


def _raw(form: Any, name: str, value: Any) -> Any:
    """A value as the form would have it posted: a list for a multiple choice, a string otherwise."""
    raw = _posted_value(value)
    if isinstance(form.fields[name], forms.MultipleChoiceField):
        return raw
    return raw[0] if raw else ""


def _normal(form: Any, name: str, value: Any) -> str:
    """A value in the field's cleaned terms, comparable with another (12.50 and 12.5, "1" and True)."""
    try:
        return str(plain(form.fields[name].clean(_raw(form, name, value))))
    except ValidationError:
        return str(plain(value))


def _form_display(form: Any, name: str, raw: Any) -> str:
    """How a posted value reads: the choices' labels, 是/否 for a box, the text itself."""
    field = form.fields[name]
    if isinstance(field, forms.BooleanField):
        return "是" if raw else "否"
    labels = {str(k): str(v) for k, v in getattr(field, "choices", None) or []}
    values = raw if isinstance(raw, list) else [raw]
    return "、".join(labels.get(str(v), str(v)) for v in values if str(v) != "") or EMPTY


def form_conflict(
    conflict: VersionConflict, form: Any, current: Mapping[str, Any], base: dict[str, Any] | None
) -> VersionConflict:
    """The conflict `check` raised, with what changed meanwhile in the form's fields: those whose value now
    differs from the one the user saw (`base`; every field the user's value differs from, without it)."""
    changes = []
    for name, value in current.items():
        if name not in form.fields or name not in form.cleaned_data:
            continue
        now = _normal(form, name, value)
        mine = str(plain(form.cleaned_data[name]))
        seen = _normal(form, name, base[name]) if base is not None and name in base else mine
        if now in (seen, mine):
            continue
        posted = form.data.getlist(name) if hasattr(form.data, "getlist") else form.data.get(name)
        if not isinstance(form.fields[name], forms.MultipleChoiceField) and isinstance(posted, list):
            posted = posted[-1] if posted else ""
        changes.append(
            Change(
                name,
                str(form.fields[name].label or name),
                _form_display(form, name, _raw(form, name, value)),
                _form_display(form, name, posted),
                "theirs" if seen == mine else "mine",
            )
        )
    conflict.changes = changes
    conflict.current = plain(dict(current))
    return conflict


def page_state(
    request: HttpRequest,
    record: Any | None,
    initial: Mapping[str, Any],
    conflict: VersionConflict | None = None,
) -> str:
    """`form_state` for a form compared in its own terms: the token a form page renders."""
    if conflict is not None:
        return conflict_token(conflict)
    if request.method == "POST":
        return request.POST.get(FIELD, "")
    return form_token(record, initial)
