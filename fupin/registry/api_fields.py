"""The registry API's schemas derived from the models' fields (used by api.py and the other apps' APIs): input
types with the models' lengths, choices and money precision and Chinese messages, output types, and a record
dumped by its fields."""

import datetime
from typing import Annotated, Any, Literal

from django.db import models
from django.utils.translation import gettext
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, create_model

from fupin.core.api import bounded_text, decimal_amount, dump, model_schema


def _iso_date_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(gettext("须为日期字符串，格式 YYYY-MM-DD"))
    return value


Date = Annotated[datetime.date, BeforeValidator(_iso_date_only)]
SmallInt = Annotated[int, Field(ge=0, le=32767)]
Money = decimal_amount(
    max_digits=11, what="金额（元）"
)  # 9 integer digits: ten of them still fit the sums' 12 digits


def _choice(field: models.Field):
    values = [value for value, _ in field.flatchoices]
    if field.blank and "" not in values:
        values.append("")
    return Literal[tuple(values)]


def _description(field: models.Field) -> str:
    if not field.choices:
        return str(field.verbose_name)
    return f"{field.verbose_name}：" + "；".join(
        f"{value or '（空）'}={label}" for value, label in field.flatchoices
    )


def _input_type(field: models.Field):
    if field.choices:
        kind = _choice(field)
    elif isinstance(field, models.BooleanField):
        kind = bool
    elif isinstance(field, models.DecimalField):
        kind = decimal_amount(
            max_digits=field.max_digits,
            what="数值"
            if "面积" in str(field.verbose_name) or "距离" in str(field.verbose_name)
            else "金额（元）",
        )
    elif isinstance(field, models.PositiveSmallIntegerField):
        kind = SmallInt
    elif isinstance(field, models.DateField):
        kind = Date
    elif isinstance(field, models.CharField):
        kind = bounded_text(field.max_length)
    else:  # pragma: no cover - a new field type needs a decision here
        raise TypeError(f"no API input type for {field!r}")
    return kind | None if field.null else kind


class InputSchema(Schema):
    """Request bodies: unknown fields are refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _input_schema(
    name: str,
    model: type[models.Model],
    fields,
    *,
    required=(),
    extra: dict | None = None,
    doc: str = "",
    types: dict | None = None,
):
    definitions = {}
    for name_ in fields:
        field = model._meta.get_field(name_)
        default = ... if name_ in required else None
        kind = (types or {}).get(name_) or _input_type(field)
        definitions[name_] = (kind, Field(default, description=_description(field)))
    definitions |= extra or {}
    schema = create_model(name, __base__=InputSchema, __doc__=doc, **definitions)
    return schema


# ---------------------------------------------------------------- output types


_output_schema = model_schema
_dump = dump
