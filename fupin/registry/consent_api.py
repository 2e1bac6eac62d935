"""The API of consents (电子授权书): a household's list, recording one for a member (in person, or a signature
drawn
on a phone sent as a PNG data URL; a scanned paper form is uploaded on the household's page), withdrawing
one."""

import datetime

from django.utils.translation import gettext
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from . import consents, selectors
from .api import ERRORS, MAX_ID, HouseholdId
from .models import Consent, ConsentMethod, ConsentScope
from .services import RegistryError

router = Router(tags=["consents"])
ConsentId = Path(..., ge=1, le=MAX_ID, description="授权 id")


class ConsentOut(Schema):
    id: int
    member: int
    member_name: str
    given_on: datetime.date
    scopes: list[str]
    method: str
    has_file: bool
    in_force: bool
    withdrawn_at: datetime.datetime | None
    withdraw_reason: str


class ConsentIn(Schema):
    member: int = Field(..., ge=1, le=MAX_ID, description="成员 id（本户）")
    given_on: datetime.date
    scopes: list[str] = Field(
        ..., min_length=1, max_length=len(ConsentScope.values), description="、".join(ConsentScope.values)
    )
    method: str = Field(..., description="in_person 或 signature（纸质授权书请在户详情页上传扫描件）")
    signature: str = Field("", max_length=700_000, description="手机签名：data:image/png;base64,…")


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=200)


def consent_out(c: Consent) -> dict:
    return {
        "id": c.pk,
        "member": c.member_id,
        "member_name": c.member.name,
        "given_on": c.given_on,
        "scopes": c.scopes,
        "method": c.method,
        "has_file": bool(c.evidence),
        "in_force": c.in_force,
        "withdrawn_at": c.withdrawn_at,
        "withdraw_reason": c.withdraw_reason,
    }


@router.get(
    "/households/{household_id}/consents/", response={200: list[ConsentOut]} | ERRORS, summary="一户的授权书"
)
def list_consents(request, household_id: int = HouseholdId):
    household = selectors.household_for(request.auth, household_id)
    return [consent_out(c) for c in household.consents.select_related("member")]


@router.post(
    "/households/{household_id}/consents/", response={201: ConsentOut} | ERRORS, summary="登记授权书"
)
def record_consent(request, payload: ConsentIn, household_id: int = HouseholdId):
    household = selectors.household_for(request.auth, household_id)
    member = household.members.filter(pk=payload.member).first()
    if member is None:
        raise RegistryError({"member": gettext("该成员不在本户")})
    if payload.method == ConsentMethod.PAPER:
        raise RegistryError({"method": gettext("纸质授权书请在户详情页上传扫描件")})
    consent = consents.record_consent(
        member,
        by=request.auth,
        given_on=payload.given_on,
        scopes=payload.scopes,
        method=payload.method,
        signature=payload.signature,
    )
    return Status(201, consent_out(consent))


@router.post("/consents/{consent_id}/withdraw/", response={200: ConsentOut} | ERRORS, summary="撤回授权")
def withdraw_consent(request, payload: WithdrawIn, consent_id: int = ConsentId):
    consent = Consent.objects.select_related("household", "member").get(pk=consent_id)
    selectors.household_for(request.auth, consent.household_id)  # out of scope: 404
    consent = consents.withdraw_consent(consent, by=request.auth, reason=payload.reason)
    return consent_out(consent)
