"""The access log (查看记录): who saw which persons' sensitive values unmasked, when, in which role, which
fields, for what purpose (issue 17, item 2).

Sensitive values (ID numbers, phones, bank accounts, birth dates) are masked on every page, API answer and
export, even for the roles allowed to see them; showing them is an explicit act with a purpose, and each one
writes an entry here. The entries are audit entries (action "access.<channel>") appended to the county's hash
chain like every other (fupin.audit.chain), so removing one breaks `fupin audit-verify`; the persons each
shows are also kept one row each (AccessedPerson) so that the county's log page can filter by person and the
hourly count of persons a user revealed is one indexed query.

One user revealing more than ACCESS_ALERT_PERSONS persons in an hour (setting FUPIN_ACCESS_ALERT_PERSONS,
default 100) is unusual reading: the alarm handed over by a higher app (provide_alarm; fupin.access registers
one that opens an item in the county's problem ledger) is called once, when the count first passes the bound
within the hour.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AccessedPerson, AuditEntry

ACTION_PREFIX = "access."
# the sensitive fields a reveal may ask for
FIELDS = ("id_number", "phone", "bank_account")


class Purpose(models.TextChoices):
    VERIFY = "verify", _("核实身份")
    CASEWORK = "casework", _("办理业务（申请、认定、帮扶）")
    CONTACT = "contact", _("联系本人")
    CROSS_CHECK = "cross_check", _("部门比对核查")
    INSPECTION = "inspection", _("上级检查、审计")
    EDIT = "edit", _("修改登记信息")
    SEARCH = "search", _("按身份证号查找")
    OTHER = "other", _("其他（须说明）")


class Channel(models.TextChoices):
    PAGE = "page", _("页面")
    API = "api", _("接口")
    EXPORT = "export", _("导出")
    HANDBOOK = "handbook", _("明白卡")
    PRINT = "print", _("打印")
    SEARCH = "search", _("按身份证号查找")
    FORM = "form", _("编辑表单")
    ADMIN = "admin", _("后台管理")


class RevealRefused(ValueError):
    """A reveal without a known purpose (or "other" without a note); the message is Chinese."""


def check_purpose(purpose: str | None, note: str | None = "") -> tuple[str, str]:
    """(purpose, note) cleaned, or RevealRefused saying what is missing."""
    purpose = (purpose or "").strip()
    note = (note or "").strip()[:200]
    if purpose not in Purpose.values:
        raise RevealRefused(gettext("请选择查看完整信息的用途"))
    if purpose == Purpose.OTHER and not note:
        raise RevealRefused(gettext("用途为“其他”时请说明查看原因"))
    return purpose, note


def alert_bound() -> int:
    return int(getattr(settings, "FUPIN_ACCESS_ALERT_PERSONS", 100))


_alarm: list[Callable[..., Any]] = []


def provide_alarm(handler: Callable[..., Any]) -> None:
    """Hand over what unusual reading raises: handler(user=…, scope_code=…, persons=…, since=…), called in the
    transaction that wrote the entry which passed the bound."""
    _alarm[:] = [handler]


def _common_code(codes: Iterable[str]) -> str:
    codes = [c for c in codes if c]
    if not codes:
        return ""
    first, last = min(codes), max(codes)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


@transaction.atomic
def record_access(
    *,
    by: Any,
    persons: Sequence[tuple[int, int | None, str]],
    fields: Iterable[str],
    purpose: str,
    note: str = "",
    channel: str,
    label: str = "",
    target_id: object = "",
    records: Sequence[tuple[str, str, str]] = (),
) -> AuditEntry | None:
    """Log that `by` saw these persons' `fields` unmasked. `persons`: (member id, household id, village code);
    `records`: (label, village code, key) of records whose values were shown (a declaration: 申报), the key
    ("declaration:12") given when the person is not among `persons` (a declarant not registered), so that they
    count as a person of their own toward unusual reading, "" otherwise. Nothing is written when no person was
    shown."""
    if not persons and not records:
        return None
    fields = sorted(set(fields))
    households = sorted({h for _m, h, _v in persons if h})
    codes = [v for _m, _h, v in persons] + [v for _l, v, _k in records]
    scope_code = _common_code(codes) or (getattr(by, "region_id", None) or "")
    item = services.entry(
        by=by,
        action=ACTION_PREFIX + channel,
        target_type="access",
        target_id=target_id or (households[0] if len(households) == 1 else ""),
        target_label=label or str(Channel(channel).label if channel in Channel.values else channel),
        scope_code=scope_code,
        changes={
            "persons": sorted({m for m, _h, _v in persons}),
            "households": households,
            "fields": fields,
            "purpose": purpose,
            "note": note,
        }
        | ({"records": [label for label, _v, _k in records]} if records else {}),
    )
    services.record_many([item])
    AccessedPerson.objects.bulk_create(
        [
            AccessedPerson(
                entry_id=item.pk, member_id=m, household_id=h, user_id=item.user_id, at=item.at, scope_code=v
            )
            for m, h, v in {p[0]: p for p in persons}.values()
        ]
        + [
            AccessedPerson(entry_id=item.pk, record=k, user_id=item.user_id, at=item.at, scope_code=v)
            for k, v in {k: v for _l, v, k in records if k}.items()
        ],
        batch_size=2000,
    )
    _check_unusual(by, item, len({p[0] for p in persons}) + len({k for _l, _v, k in records if k}))
    return item


def persons_revealed_since(user_id: int, since: datetime.datetime) -> int:
    """Distinct persons: registered members by their id, others (declarants) by their record."""
    return (
        AccessedPerson.objects.filter(user_id=user_id, at__gte=since)
        .values("member_id", "record")
        .distinct()
        .count()
    )


def _check_unusual(by: Any, item: AuditEntry, added: int) -> None:
    if not _alarm or item.user_id is None:
        return
    since = item.at - datetime.timedelta(hours=1)
    now_count = persons_revealed_since(item.user_id, since)
    bound = alert_bound()
    # once per crossing: the count before this entry was within the bound
    if now_count > bound and now_count - added <= bound:
        _alarm[0](user=by, scope_code=item.scope_code, persons=now_count, since=since)


def member_persons(members: Iterable[Any]) -> list[tuple[int, int | None, str]]:
    """(member id, household id, village code) for members as the registry holds them."""
    return [(m.pk, m.household_id, getattr(m, "village_code", "") or "") for m in members]
