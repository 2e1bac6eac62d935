"""Reading the access log (fupin.audit.access) for a county office: its county's entries, filtered by user and
by person (a member, or an ID number matched exactly)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext

from fupin.audit.access import ACTION_PREFIX, Channel, Purpose
from fupin.audit.models import AccessedPerson, AuditEntry
from fupin.audit.retention import EXPIRED
from fupin.core import idnumber
from fupin.registry.display import role_label
from fupin.registry.models import Member

from .permissions import may_read_log


@dataclass
class LogLine:
    entry: AuditEntry
    role: str
    purpose: str
    channel: str
    fields: list[str]
    persons: list[tuple[int, str, int | None]]  # (member id, name, household id)


FIELD_LABELS = {"id_number": "身份证号", "phone": "电话", "bank_account": "银行账号"}


def members_with_id_number(number: str) -> list[int]:
    """The members whose ID number is `number` exactly (the registry's exact lookup)."""
    number = (number or "").strip().upper()
    if not number:
        return []
    return list(Member.objects.filter(id_number=number).values_list("pk", flat=True))


def log_for(user: Any, *, username: str = "", id_number: str = "", member: int | None = None) -> QuerySet:
    """The access-log entries of the user's county (every county for an administrator), newest first."""
    if not may_read_log(user):
        raise PermissionDenied(gettext("仅县扶贫办可查看个人信息查看记录"))
    entries = AuditEntry.objects.filter(action__startswith=ACTION_PREFIX).exclude(action=EXPIRED)
    if not user.is_superuser:
        prefix = (user.region_id or "")[:6]
        if len(prefix) < 6:
            return entries.none()
        entries = entries.filter(scope_code__startswith=prefix)
    if username:
        entries = entries.filter(username=username.strip())
    members = set()
    if id_number:
        members |= set(members_with_id_number(id_number)) or {-1}
    if member:
        members.add(member)
    if members:
        entries = entries.filter(
            pk__in=AccessedPerson.objects.filter(member_id__in=members).values("entry_id")
        )
    return entries.order_by("-at", "-id")


def lines(entries: list[AuditEntry]) -> list[LogLine]:
    """Entries with their persons' names (masked IDs never needed: the name and household link)."""
    ids = {m for e in entries for m in (e.changes or {}).get("persons", [])}
    names = {
        m["pk"]: (m["name"], m["household_id"])
        for m in Member.objects.filter(pk__in=ids).values("pk", "name", "household_id")
    }
    out = []
    for e in entries:
        c = e.changes or {}
        purpose = c.get("purpose", "")
        label = str(Purpose(purpose).label) if purpose in Purpose.values else purpose
        if c.get("note"):
            label = f"{label}：{idnumber.mask_text(c['note'])}"
        channel = e.action[len(ACTION_PREFIX) :]
        out.append(
            LogLine(
                entry=e,
                role=str(role_label(e.role)),
                purpose=label,
                channel=str(Channel(channel).label) if channel in Channel.values else channel,
                fields=[FIELD_LABELS.get(f, f) for f in c.get("fields", [])],
                persons=[(m, *names.get(m, (f"#{m}", None))) for m in c.get("persons", [])]
                + [(0, str(record), None) for record in c.get("records", [])],
            )
        )
    return out
