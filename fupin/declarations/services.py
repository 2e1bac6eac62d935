"""What happens to a declaration: the household's own (with its phone's one-time code), staff intake, cases
opened from risk signals and findings, the home verification, and following the monitoring case it opens.

Each verb runs in a transaction and writes its audit entry; a refusal raises DeclarationError (Chinese). The
household hears of each step by SMS (core.sms, queued after commit).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from fupin.accounts.scope import ensure_can_edit, ensure_can_read
from fupin.audit.services import record
from fupin.core import sms
from fupin.core.errors import ScopeError, ServiceError
from fupin.core.idnumber import IdNumberError, parse
from fupin.core.images import ImageRefused, clean_photo
from fupin.monitoring.models import (
    Finding,
    RiskSignal,
)
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes
from fupin.registry.models import Household, Member

from . import clock
from .models import (
    STAFF_CHANNELS,
    TRANSITIONS,
    Channel,
    Declaration,
    DeclarationEvent,
    Hardship,
    PhoneCode,
    Photo,
    Status,
)
from .permissions import can_verify, is_paired_helper


class DeclarationError(ServiceError):
    """A refused declaration or step; the message is Chinese."""


PHONE = re.compile(r"1[3-9]\d{9}")
CODE_MINUTES = 10
CODE_GAP_SECONDS = 60
CODE_ATTEMPTS = 5
MAX_PHOTOS = 3
FINDINGS_REQUIRED = gettext_noop("请填写入户核实情况")  # also the field app's phone's words (field.rules)


def _limit(name: str, default: int) -> int:
    return int((getattr(settings, "FUPIN_DECLARATION_LIMITS", {}) or {}).get(name, default))


def _hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def clean_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    if not PHONE.fullmatch(phone):
        raise DeclarationError({"phone": gettext("请填写11位手机号")})
    return phone


# ---------------------------------------------------------------- one-time codes


def send_code(phone: str, *, now: datetime.datetime | None = None) -> None:
    """Send a 6-digit code to `phone`: at most one a minute and FUPIN_DECLARATION_LIMITS['codes_per_day'] a
    day."""
    phone = clean_phone(phone)
    now = now or timezone.now()
    with transaction.atomic():
        sent = PhoneCode.objects.select_for_update().filter(
            phone=phone, sent_at__gte=now - datetime.timedelta(days=1)
        )
        times = sorted((c.sent_at for c in sent), reverse=True)
        if times and (now - times[0]).total_seconds() < CODE_GAP_SECONDS:
            raise DeclarationError({"phone": gettext("验证码已发送，请1分钟后再试")})
        if len(times) >= _limit("codes_per_day", 5):
            raise DeclarationError(
                {"phone": gettext("该手机号今天获取验证码次数过多，请明天再试或拨打12317")}
            )
        code = f"{secrets.randbelow(10**6):06d}"
        PhoneCode.objects.create(phone=phone, code_hash=_hash(phone, code), sent_at=now)
        sms.queue(phone, "code", code=code)


def _spend_code(phone: str, code: str, now: datetime.datetime) -> str:
    """Lock the phone's live code and spend it if `code` matches ('' then), else the field error. A wrong
    guess is counted; after CODE_ATTEMPTS of them the code is dead. Runs in the caller's transaction."""
    live = (
        PhoneCode.objects.select_for_update()
        .filter(phone=phone, used=False, sent_at__gte=now - datetime.timedelta(minutes=CODE_MINUTES))
        .order_by("-sent_at")
        .first()
    )
    if live is None or live.attempts >= CODE_ATTEMPTS:
        return "验证码已失效，请重新获取"
    if not hmac.compare_digest(live.code_hash, _hash(phone, (code or "").strip())):
        live.attempts += 1
        live.save(update_fields=["attempts"])
        return "验证码不正确"
    live.used = True
    live.save(update_fields=["used"])
    return ""


# ---------------------------------------------------------------- receiving a declaration


def _clean_person(name: str, id_number: str) -> tuple[str, str]:
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 50:
        errors["name"] = gettext("请填写姓名（50字以内）")
    try:
        id_number = parse((id_number or "").strip().upper()).number
    except IdNumberError as e:
        errors["id_number"] = str(e)
    if errors:
        raise DeclarationError(errors)
    return name, id_number


def _clean_case(hardship: str, description: str) -> str:
    errors = {}
    if hardship not in Hardship.values:
        errors["hardship"] = gettext("请选择遇到的困难")
    description = (description or "").strip()
    if not description or len(description) > 500:
        errors["description"] = gettext("请简单说明情况（500字以内）")
    if errors:
        raise DeclarationError(errors)
    return description


def _village(code: str) -> Region:
    village = Region.objects.filter(code=code or "", level=RegionLevel.VILLAGE).first()
    if village is None:
        raise DeclarationError({"village": gettext("请选择所在的村")})
    return village


def clean_photos(photos) -> list:
    photos = [p for p in photos or [] if p]
    if len(photos) > MAX_PHOTOS:
        raise DeclarationError(
            {"photos": gettext("最多上传%(MAX_PHOTOS)s张照片") % {"MAX_PHOTOS": MAX_PHOTOS}}
        )
    max_bytes = _limit("photo_mb", 5) * 1024 * 1024
    try:
        return [clean_photo(p, max_bytes=max_bytes) for p in photos]
    except ImageRefused as e:
        raise DeclarationError({"photos": str(e)}) from None


def _new_receipt(today: datetime.date) -> str:
    while True:
        receipt = f"{today:%y%m%d}{secrets.randbelow(10**8):08d}"
        if not Declaration.objects.filter(receipt=receipt).exists():
            return receipt


def _repeat_check(id_number: str, phone: str, now: datetime.datetime) -> None:
    if Declaration.objects.filter(
        id_number=id_number, status__in=[Status.RECEIVED, Status.IN_PROCEDURE, Status.REVIEWED]
    ).exists():
        raise DeclarationError({"id_number": gettext("该身份证号已有正在办理的申报，可凭回执号查询进度")})
    day = now - datetime.timedelta(days=1)
    if phone and Declaration.objects.filter(phone=phone, received_at__gte=day).count() >= _limit(
        "per_phone_day", 3
    ):
        raise DeclarationError({"phone": gettext("该手机号今天提交的申报过多，请明天再试或拨打12317")})
    if Declaration.objects.filter(id_number=id_number, received_at__gte=day).count() >= _limit(
        "per_id_day", 2
    ):
        raise DeclarationError({"id_number": gettext("该身份证号今天已申报，请明天再试或拨打12317")})


def _create(
    *,
    by,
    channel: str,
    village: Region,
    name: str,
    id_number: str,
    phone: str,
    hardship: str,
    description: str,
    consent: bool,
    now: datetime.datetime,
    **links,
) -> Declaration:
    _repeat_check(id_number, phone, now)
    member = Member.objects.filter(id_number=id_number).select_related("household").first()
    household = links.pop("household", None) or (member.household if member else None)
    received_on = timezone.localdate(now)
    declaration = Declaration(
        receipt=_new_receipt(received_on),
        channel=channel,
        village=village,
        name=name,
        id_number=id_number,
        phone=phone,
        household=household,
        hardship=hardship,
        description=description,
        consent=consent,
        consent_at=now if consent else None,
        received_at=now,
        received_on=received_on,
        received_by=by,
        **clock.receipt_deadlines(village.code, received_on),
        **links,
    )
    declaration.due_on = declaration.verify_due
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError:  # the same person's declaration committed a moment earlier (one open per person)
        raise DeclarationError(
            {"id_number": gettext("该身份证号已有正在办理的申报，可凭回执号查询进度")}
        ) from None
    log_event(declaration, by=by, label="申报已受理")
    record(
        by=by,
        action="declaration_received",
        target=declaration,
        household=household,
        scope_code=village.code,
        changes={"channel": [None, channel], "hardship": [None, hardship]},
    )
    sms.queue(phone, "received", receipt=declaration.receipt, due=f"{declaration.verify_due:%m月%d日}")
    return declaration


def log_event(declaration: Declaration, *, by, label: str, note: str = "") -> None:
    DeclarationEvent.objects.create(
        declaration=declaration, status=declaration.status, label=label, by=by, note=note
    )


def declare(
    *,
    village_code: str,
    name: str,
    id_number: str,
    phone: str,
    code: str,
    hardship: str,
    description: str,
    consent: bool,
    photos=(),
    now: datetime.datetime | None = None,
) -> Declaration:
    """The household's own declaration (public form): every field checked before the code is spent."""
    now = now or timezone.now()
    errors = {}
    for check in (
        lambda: _clean_person(name, id_number),
        lambda: _clean_case(hardship, description),
        lambda: clean_phone(phone),
        lambda: _village(village_code),
        lambda: clean_photos(photos),
    ):
        try:
            check()
        except DeclarationError as e:
            errors.update(e.errors)
    if not consent:
        errors["consent"] = gettext("请勾选同意授权核查家庭情况")
    if errors:
        raise DeclarationError(errors)
    name, id_number = _clean_person(name, id_number)
    phone, village = clean_phone(phone), _village(village_code)
    _repeat_check(id_number, phone, now)
    cleaned = clean_photos(photos)
    # The code is spent in the transaction that stores the declaration: two submissions with one code store
    # one. A wrong guess is committed (and counted) even though nothing else is.
    with transaction.atomic():
        wrong = _spend_code(phone, code, now)
        if not wrong:
            declaration = _create(
                by=None,
                channel=Channel.SELF,
                village=village,
                name=name,
                id_number=id_number,
                phone=phone,
                hardship=hardship,
                description=_clean_case(hardship, description),
                consent=True,
                now=now,
            )
            for photo in cleaned:
                Photo.objects.create(declaration=declaration, image=photo)
    if wrong:
        raise DeclarationError({"code": wrong})
    return declaration


@transaction.atomic
def intake(
    *,
    by,
    channel: str,
    village_code: str,
    name: str,
    id_number: str,
    phone: str,
    hardship: str,
    description: str,
    consent: bool = False,
) -> Declaration:
    """A declaration taken by village, township or county staff: the 12317 hotline, a visit, a cadre's
    check."""
    if channel not in STAFF_CHANNELS:
        raise DeclarationError({"channel": gettext("请选择申报渠道")})
    village = _village(village_code)
    ensure_can_edit(by, village.code)
    name, id_number = _clean_person(name, id_number)
    phone = clean_phone(phone) if (phone or "").strip() else ""
    description = _clean_case(hardship, description)
    return _create(
        by=by,
        channel=channel,
        village=village,
        name=name,
        id_number=id_number,
        phone=phone,
        hardship=hardship,
        description=description,
        consent=consent,
        now=timezone.now(),
    )


def _head(household: Household) -> Member:
    head = (
        household.members.filter(relation=codes.Relation.HEAD).first()
        or household.members.order_by("id").first()
    )
    if head is None:
        raise DeclarationError(gettext("该户没有家庭成员记录，请先补录成员"))
    return head


def _from_household(household: Household, *, by, description: str, **link) -> Declaration:
    ensure_can_edit(by, household.village_id)
    head = _head(household)
    phone = (
        head.phone
        if PHONE.fullmatch(head.phone or "")
        else (household.phone if PHONE.fullmatch(household.phone or "") else "")
    )
    return _create(
        by=by,
        channel=Channel.DEPARTMENT,
        village=household.village,
        name=head.name,
        id_number=head.id_number,
        phone=phone,
        hardship=Hardship.OTHER,
        description=description[:500],
        consent=False,
        now=timezone.now(),
        household=household,
        **link,
    )


@transaction.atomic
def open_from_signal(signal: RiskSignal, *, by) -> Declaration:
    """A risk signal (监测预警) becomes a declaration case, so every channel of discovery meets in one
    list."""
    signal = RiskSignal.objects.select_for_update().select_related("household__village").get(pk=signal.pk)
    if Declaration.objects.filter(source_signal=signal).exists():
        raise DeclarationError(gettext("该预警已转为申报"))
    text = f"系统预警：{signal.get_kind_display()}（{signal.source_label or signal.year}）"
    return _from_household(signal.household, by=by, description=text, source_signal=signal)


@transaction.atomic
def open_from_finding(finding: Finding, *, by) -> Declaration:
    """A cross-check finding (比对疑点) becomes a declaration case."""
    finding = Finding.objects.select_for_update().select_related("household__village").get(pk=finding.pk)
    if Declaration.objects.filter(source_finding=finding).exists():
        raise DeclarationError(gettext("该疑点已转为申报"))
    text = f"部门预警（{finding.get_department_display()}）：{finding.detail}"
    return _from_household(finding.household, by=by, description=text, source_finding=finding)


# ---------------------------------------------------------------- verification and the procedure


def locked_declaration(declaration: Declaration) -> Declaration:
    return Declaration.objects.select_for_update().get(pk=declaration.pk)


def move_declaration(declaration: Declaration, to: str, *, by, label: str, note: str = "") -> str:
    if to not in TRANSITIONS[declaration.status]:
        raise DeclarationError(
            gettext("申报当前为“%(get_status_display)s”，不能办理此步骤")
            % {"get_status_display": declaration.get_status_display()}
        )
    before = declaration.status
    declaration.status = to
    log_event(declaration, by=by, label=label, note=note)
    return before


@transaction.atomic
def record_visit(declaration: Declaration, *, by, findings: str, photos=()) -> Declaration:
    """Findings and photos from the home, by the village or the household's paired helper (their to-do)."""
    declaration = locked_declaration(declaration)
    if not (can_verify(by, declaration) or is_paired_helper(by, declaration)):
        raise ScopeError(gettext("只有本村干部或结对帮扶责任人可以记录入户核实情况"))
    if declaration.status != Status.RECEIVED:
        raise DeclarationError(gettext("该申报已完成入户核实"))
    findings = (findings or "").strip()
    if not findings:
        raise DeclarationError({"findings": gettext(FINDINGS_REQUIRED)})
    cleaned = clean_photos(photos)
    stamp = f"{timezone.localtime():%Y-%m-%d %H:%M} {getattr(by, 'full_name', '') or by.username}："
    declaration.findings = (declaration.findings + "\n" if declaration.findings else "") + stamp + findings
    declaration.save(update_fields=["findings"])
    for photo in cleaned:
        Photo.objects.create(declaration=declaration, image=photo, at_verification=True, added_by=by)
    record(
        by=by,
        action="declaration_visit",
        target=declaration,
        household=declaration.household,
        scope_code=declaration.village_id,
        changes={"findings": [None, findings], "photos": [0, len(cleaned)]},
    )
    return declaration


def ensure_reader(user, declaration: Declaration) -> None:
    if not is_paired_helper(user, declaration):
        ensure_can_read(user, declaration.village_id)
