"""A phone's edit made on an old copy, merged field by field: a field only the phone changed is applied, a
field only the web changed is kept, a field both changed to different values is a conflict (the newer value
kept)."""

from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext

from fupin.core.errors import TOO_LONG
from fupin.core.versions import plain

from .services import FieldError


@dataclass
class Merge:
    apply: dict[str, Any] = field(default_factory=dict)  # the phone's values to write
    kept: list[str] = field(default_factory=list)  # fields the web changed meanwhile, left as they are
    conflicts: list[tuple[str, Any, Any, Any]] = field(default_factory=list)  # (field, base, theirs, mine)

    @property
    def moved(self) -> bool:
        return bool(self.kept or self.conflicts)


def three_way(
    current: dict[str, Any], base: dict[str, Any] | None, mine: dict[str, Any], *, stale: bool = True
) -> Merge:
    """Compare plain values: `current` now, `base` as the phone downloaded it, `mine` the phone's new values.
    A field missing from `base` of a record that moved since (`stale`) counts as changed on both sides."""
    out = Merge()
    base = base or {}
    for name, value in mine.items():
        now = current[name]
        if plain(value) == plain(now):
            continue
        if name in base:
            unchanged = plain(now) == plain(base[name])
        else:
            unchanged = not stale
        if unchanged:
            out.apply[name] = value
        else:
            out.conflicts.append((name, plain(base.get(name)), plain(now), plain(value)))
    out.kept = [n for n in current if n not in mine and n in base and plain(base[n]) != plain(current[n])]
    return out


def typed(model: type[models.Model], allowed: set[str], values: Any, *, key: str) -> dict[str, Any]:
    """The phone's values for `allowed` fields of `model`, converted as the model reads them; unknown fields
    and values of the wrong type are refused with the field's own message."""
    if not isinstance(values, dict):
        raise FieldError({key: gettext("须为 JSON 对象")})
    unknown = set(values) - allowed
    if unknown:
        raise FieldError({key: gettext("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))}})
    out, errors = {}, {}
    for name, value in values.items():
        f = cast(models.Field, model._meta.get_field(name))
        try:
            read = f.to_python(value) if value is not None or f.null else value
        except ValidationError as e:
            errors[name] = "；".join(e.messages)
            continue
        if isinstance(read, str) and f.max_length and len(read) > f.max_length:
            errors[name] = TOO_LONG.format(max_length=f.max_length)  # the column's, as the phone checks it
        out[name] = read
    if errors:
        raise FieldError(errors)
    return out


def label(model: type[models.Model], name: str) -> str:
    try:
        return str(cast(models.Field, model._meta.get_field(name)).verbose_name)
    except Exception:
        return name
