"""Model fields shared by the apps."""

import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import lookups
from django.db.models.expressions import Col, ResolvedOuterRef

from . import crypto


class CodeField(models.CharField):
    """Text made of ASCII codes (ID numbers, 户编号, region codes, pinyin initials), compared byte by byte.

    On PostgreSQL the column takes the collation "C": such codes sort the same under every locale, and
    with "C" PostgreSQL sorts them with abbreviated keys (an index on a million ID numbers builds in about
    three quarters of the time) and answers LIKE 'prefix%' from the column's plain index, where a locale's
    collation needs a second, pattern-matching one. SQLite compares bytes already.

    Index or constrain such a field through Meta (Index, UniqueConstraint), not db_index/unique=True: those
    would add Django's pattern-matching index on PostgreSQL all the same.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql" and not self.db_collation:
            parameters["collation"] = "C"
        return parameters


class EncryptedField(models.CharField):
    """A sensitive value stored encrypted (fupin.core.crypto): read and written as plain text in Python.

    `purpose` is the associated data the value is sealed with (a value cannot be moved to a column of
    another purpose), and also the purpose of its blind index. When the model has a BlindIndexField named
    `<name>_index` for this field, `filter(name=value)`, `filter(name__in=values)` and `exclude(...)` are
    answered from that index (the lookups below rewrite them); other lookups (contains, startswith, order
    by the text) cannot mean anything on ciphertext and are refused, except an exact match of "" (a blank
    phone is stored blank).
    """

    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"  # the column holds the ciphertext, longer than the value (max_length)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return crypto.decrypt(value, self.purpose)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return crypto.encrypt(value, self.purpose) if value else value

    @property
    def index_name(self) -> str:
        return f"{self.name}_index"

    def index_field(self) -> "BlindIndexField | None":
        try:
            field = self.model._meta.get_field(self.index_name)
        except FieldDoesNotExist:
            return None
        return field if isinstance(field, BlindIndexField) else None

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return BlindExact
        if lookup_name == "in":
            return BlindIn
        if lookup_name == "isnull":
            return lookups.IsNull
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None


# The keys whose values a SealedJSONField keeps encrypted wherever they nest: key -> purpose (the same as
# the audit's changes, fupin.audit.chain.SEALED).
SEALED_KEYS = {
    "id_number": "id_number",
    "head_id_number": "id_number",
    "borrower_id_number": "id_number",
    "phone": "phone",
    "contact_phone": "phone",
    "bank_account": "bank_account",
}


def sealed_json(value: Any, name: str = "", *, opening: bool = False) -> Any:
    """JSON data with the values at SEALED_KEYS encrypted (or, `opening`, decrypted), wherever they nest."""
    if isinstance(value, dict):
        return {k: sealed_json(v, k, opening=opening) for k, v in value.items()}
    if isinstance(value, list):
        return [sealed_json(v, name, opening=opening) for v in value]
    if isinstance(value, str) and value and name in SEALED_KEYS:
        if opening:
            return crypto.decrypt(value, SEALED_KEYS[name])
        return crypto.encrypt(value, SEALED_KEYS[name])
    return value


class SealedJSONField(models.JSONField):
    """JSON whose ID numbers, phones and bank accounts (SEALED_KEYS, at any depth) are stored encrypted
    (fupin.core.crypto): read and written as plain JSON in Python. The rest stays JSON, so a change request's
    payload keeps its shape on disk; the encryption is deterministic, so equal values still compare."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return sealed_json(super().from_db_value(value, expression, connection), opening=True)

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(sealed_json(value))


class EncryptedJSONField(models.TextField):
    """A JSON value stored as one encrypted text (fupin.core.crypto), for values whose meaning another column
    gives (a sync conflict's old and new value of a phone or an ID number): read and written as JSON in
    Python. Text stored before the encryption (plain JSON) still reads."""

    # what Python reads and writes (for django-stubs, which would take a TextField's str)
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args: Any, purpose: str = "json", **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(crypto.decrypt(value, self.purpose) or "null")

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder), self.purpose)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, cls=DjangoJSONEncoder)

    def get_lookup(self, lookup_name: str) -> Any:
        return lookups.IsNull if lookup_name == "isnull" else None


class BlindIndexField(models.BigIntegerField):
    """The keyed blind index (fupin.core.crypto.blind_index) of another field of the model, kept by save().

    `source` names the field, `last` keeps the index of only its last characters (search by the last six
    digits of an ID number). Writes that bypass save() (QuerySet.update, raw SQL, COPY) compute it with
    crypto.blind_indexes; Model.save(update_fields=[source]) is extended by `EncryptedModel`.
    """

    def __init__(self, *args: Any, source: str = "", purpose: str = "", last: int = 0, **kwargs: Any) -> None:
        self.source, self.purpose, self.last = source, purpose, last
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        if self.last:
            kwargs["last"] = self.last
        kwargs.pop("null", None)
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def of(self, value: str | None) -> int | None:
        if value and self.last:
            value = value[-self.last :]
        return crypto.blind_index(value, self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def _indexes(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


class EncryptedQuerySet(models.QuerySet):
    """update() and bulk_update() that set a blind index's source also set the index."""

    def update(self, **kwargs: Any) -> int:
        for field in _indexes(self.model):
            if field.source in kwargs:
                value = kwargs[field.source]
                if hasattr(value, "resolve_expression"):
                    raise FieldError(f"{field.source} 须以值更新（盲索引）。 Set {field.source} to a value.")
                kwargs[field.attname] = field.of(value)
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        fields, objs = list(fields), list(objs)
        for field in _indexes(self.model):
            if field.source in fields:
                fields.append(field.name)
                for obj in objs:
                    setattr(obj, field.attname, field.of(getattr(obj, field.source)))
        return super().bulk_update(objs, fields, batch_size=batch_size)


class EncryptedModel(models.Model):
    """A model with blind indexes: save(update_fields=[a source]), QuerySet.update() and bulk_update() also
    write the source's indexes."""

    objects = EncryptedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is not None:
            fields = set(fields)
            for field in self._meta.concrete_fields:
                if isinstance(field, BlindIndexField) and field.source in fields:
                    fields.add(field.name)
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)


def _to_index(side: Any, value_of: Any) -> Any:
    """One side of a lookup on an encrypted field as the same lookup on its blind index."""
    if isinstance(side, Col) and isinstance(side.target, EncryptedField):
        index = side.target.index_field()
        if index is None:
            raise FieldError(
                f"{side.target.name} 没有盲索引，不能按值查找。 No blind index for {side.target.name}."
            )
        return Col(side.alias, index)
    if isinstance(side, ResolvedOuterRef):
        return ResolvedOuterRef(f"{side.name}_index")  # type: ignore[attr-defined]
    if hasattr(side, "resolve_expression"):
        raise FieldError("加密字段只能与值或另一加密字段比较。 An encrypted field compares with values only.")
    return value_of(side)


def _index_of(side: Any) -> "BlindIndexField | None":
    target = getattr(side, "target", None)
    return target.index_field() if isinstance(target, EncryptedField) else None


class BlindExact(lookups.Exact):
    def __init__(self, lhs: Any, rhs: Any) -> None:
        if isinstance(lhs, Col) and rhs == "":
            super().__init__(lhs, rhs)  # a blank value is stored blank
            return
        index = _index_of(lhs)
        new_lhs = _to_index(lhs, None)
        rhs = _to_index(rhs, lambda v: index.of(v) if index else None)
        super().__init__(new_lhs, rhs)


class BlindIn(lookups.In):
    def __init__(self, lhs: Any, rhs: Any) -> None:
        index = _index_of(lhs)
        new_lhs = _to_index(lhs, None)
        if hasattr(rhs, "resolve_expression"):
            raise FieldError(
                "加密字段的 __in 只接受值的列表。 __in on an encrypted field takes a list of values."
            )
        assert index is not None
        super().__init__(new_lhs, [index.of(v) for v in rhs if v])
