"""Consents (电子授权书, issue 17 item 3): each member's authorisation for checking the household's economic
situation with other departments, recorded with its date, scope and how it was given, and withdrawable. Every
verb is audited.

`consented` is the condition the cross-checks and the procedures read: a member holds a consent in force for a
scope (ConsentScope). Cross-checks filter the members' key query with `consent_sql` (one EXISTS on the
consent's member index), so the check's speed does not depend on counting consents in Python."""

import base64
import binascii
import datetime
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.core import evidence

from . import codes
from .models import Consent, ConsentMethod, ConsentScope, Household, Member
from .services import RegistryError

MAX_SIGNATURE_BYTES = 512 * 1024


def in_force(scope: str | None = None) -> Q:
    """Consents in force (for `scope`, when given)."""
    q = Q(withdrawn_at__isnull=True)
    return q & Q(**{scope: True}) if scope else q


def consented(scope: str, member_ref: str = "pk") -> Exists:
    """An Exists for a Member queryset: the member holds a consent in force covering `scope` (any, if "")."""
    return Exists(Consent.objects.filter(in_force(scope or None), member=OuterRef(member_ref)))


def consent_sql(scope: str, member_id: str = "registry_member.id") -> str:
    """The same condition in SQL, for the cross-checks' raw queries (both databases)."""
    if scope not in ConsentScope.values:
        raise ValueError(scope)
    return (
        f"EXISTS (SELECT 1 FROM registry_consent c WHERE c.member_id = {member_id} "
        f"AND c.withdrawn_at IS NULL AND c.{scope})"
    )


def households_without_consent(household_ids: Iterable[int]) -> list[Household]:
    """Of these households, those where an adult member (or the head, in a household of minors) holds no
    consent in force: what the identification and monitoring procedures refuse to take an application
    without."""
    today = timezone.localdate()
    try:
        cutoff = today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - 18, day=28)
    unsigned = (
        Member.objects.filter(household_id__in=list(household_ids))
        .filter(Q(birth_date__lte=cutoff) | Q(relation=codes.Relation.HEAD))
        .exclude(consented(""))
        .values("household_id")
    )
    return list(Household.objects.filter(pk__in=unsigned).order_by("number"))


def missing_consent_message(households: list[Household]) -> str:
    names = "、".join(h.head_name or h.number for h in households[:10]) + (
        "等" if len(households) > 10 else ""
    )
    return (
        f"以下户尚未登记经济状况核对授权书：{names}。请在该户详情页的“经济状况核对授权书”处为每位成年成员"
        "登记授权（纸质扫描件、手机签名或本人到场确认）后再办理"
    )


def _signature_file(data_url: str) -> File:
    """A signature drawn on a phone's canvas, posted as a PNG data URL."""
    head, _, payload = (data_url or "").partition(",")
    if head != "data:image/png;base64" or not payload:
        raise RegistryError({"signature": gettext("签名图片无效，请重新签名")})
    if len(payload) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise RegistryError({"signature": gettext("签名图片过大")})
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise RegistryError({"signature": gettext("签名图片无效，请重新签名")}) from None
    return ContentFile(raw, name="signature.png")


@transaction.atomic
def record_consent(
    member: Member,
    *,
    by: Any,
    given_on: datetime.date,
    scopes: Iterable[str],
    method: str,
    upload: File | None = None,
    signature: str = "",
) -> Consent:
    """Record a member's consent. Paper: the scanned authorisation (JPEG/PNG/PDF); signature: the PNG drawn on
    a phone (a data URL); in person: nothing to attach."""
    household = member.household
    ensure_can_edit(by, household.village_id)
    scopes = sorted(set(scopes))
    errors = {}
    if not scopes or set(scopes) - set(ConsentScope.values):
        errors["scopes"] = gettext("请选择授权核对的数据范围")
    if method not in ConsentMethod.values:
        errors["method"] = gettext("请选择授权方式")
    if given_on is None or given_on > timezone.localdate():
        errors["given_on"] = gettext("授权日期不能晚于今天")
    if method == ConsentMethod.PAPER and upload is None:
        errors["upload"] = gettext("纸质授权书须上传扫描件")
    if method == ConsentMethod.SIGNATURE and not signature:
        errors["signature"] = gettext("请在手机上签名")
    if errors:
        raise RegistryError(errors)
    attached = None
    if method == ConsentMethod.PAPER:
        attached = upload
    elif method == ConsentMethod.SIGNATURE:
        attached = _signature_file(signature)
    if attached is not None:
        try:
            attached = evidence.accept(attached)
        except evidence.EvidenceRefused as e:
            raise RegistryError(
                {"signature" if method == ConsentMethod.SIGNATURE else "upload": str(e)}
            ) from None
    consent = Consent(
        member=member,
        household=household,
        given_on=given_on,
        method=method,
        recorded_by=by,
        **{s: True for s in scopes},
    )
    if attached is not None:
        consent.evidence.save(attached.name, attached, save=False)
    consent.save()
    record(
        by=by,
        action="record_consent",
        target=consent,
        household=household,
        scope_code=household.village_id,
        changes={
            "member": [None, member.name],
            "given_on": [None, str(given_on)],
            "scopes": [None, scopes],
            "method": [None, method],
        },
    )
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, by: Any, reason: str) -> Consent:
    consent = Consent.objects.select_for_update().select_related("household").get(pk=consent.pk)
    ensure_can_edit(by, consent.household.village_id)
    if consent.withdrawn_at is not None:
        raise RegistryError(gettext("该授权已撤回"))
    reason = (reason or "").strip()[:200]
    if not reason:
        raise RegistryError({"reason": gettext("请填写撤回原因")})
    consent.withdrawn_at, consent.withdrawn_by, consent.withdraw_reason = timezone.now(), by, reason
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    record(
        by=by,
        action="withdraw_consent",
        target=consent,
        household=consent.household,
        scope_code=consent.household.village_id,
        changes={"withdrawn": [False, True], "reason": [None, reason]},
    )
    return consent
