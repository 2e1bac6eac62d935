"""The phone's checks are the server's (issue 21, item 2): the same cases go through the sync API (the
services that own each kind) and through static/field/rules.js under node with the work set's rules, and both
give the same answer: taken, or refused on the same fields in the same words. Each case also names what it
tests (the field refused, or none), so a case that the server took or refused for another reason fails too."""

import datetime
import json
import os
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from fupin.core import idnumber, money
from fupin.declarations import services as declarations
from fupin.declarations.models import Channel
from fupin.field.rules import rules as field_rules
from fupin.monitoring import services as monitoring
from fupin.registry import codes
from tests import factories

from .conftest import jpeg

pytestmark = pytest.mark.django_db

NODE = shutil.which("node")
RUNNER = Path(__file__).with_name("rules_runner.js")
NEWBORN = factories.id_number(birth=datetime.date(2024, 2, 3))


def run_phone(rules: dict, cases: list[dict], zone: str | None = None) -> list:
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("node not found; scripts/system-deps.sh installs nodejs")
        pytest.skip("node is not installed")
    answer = subprocess.run(
        [NODE, str(RUNNER)],
        input=json.dumps({"rules": rules, "cases": cases}, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=os.environ | ({"TZ": zone} if zone else {}),
    )
    return json.loads(answer.stdout)


def run_server(phone, kind: str, household, data: dict) -> dict:
    """The receipt's refusal as {field: message} ({} when taken), the change rolled back after."""
    with transaction.atomic():
        answer = phone.sync(phone.change(kind, household, **data))
        assert answer.status_code == 200, answer.content
        line = answer.json()["results"][0]
        transaction.set_rollback(True)
    if line["outcome"] == "refused":
        return line["errors"] or {"__all__": line["message"]}
    return {}


def assert_same(phone, household, cases: list[tuple[str, dict, str | None]], context=None) -> None:
    rules = phone.work_set().json()["rules"]
    on_phone = run_phone(rules, [{"kind": kind, "data": data, "context": context} for kind, data, _ in cases])
    for (kind, data, refused), mine in zip(cases, on_phone, strict=True):
        server = run_server(phone, kind, household, data)
        assert mine == server, (kind, data)
        assert (refused in server) if refused else not server, (kind, data, server)


def _days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def visit(**changes) -> dict:
    return {"visited_on": _days(0), "kind": "home", "findings": "家中一切正常"} | changes


def test_a_visit_is_refused_on_the_phone_as_the_server_refuses_it(phone, household):
    photo = {"data": jpeg(), "taken_at": "2026-12-01T09:00:00+08:00"}
    assert_same(
        phone,
        household,
        [
            ("visit", visit(), None),
            ("visit", visit(visited_on=_days(1)), "visited_on"),  # tomorrow in China
            ("visit", visit(visited_on="2013-12-31"), "visited_on"),
            ("visit", visit(visited_on=""), "visited_on"),
            ("visit", visit(visited_on="2026-02-30"), "visited_on"),
            ("visit", visit(kind="bogus", findings="  "), "findings"),
            ("visit", visit(visited_on=_days(3), kind="bogus", findings=""), "kind"),
            ("visit", visit(guarantees={"food": False, "water": True}), "note_food"),
            (
                "visit",
                visit(
                    guarantees={"food": False, "housing": False},
                    guarantee_notes={"food": "缺", "housing": "漏" * 201},
                ),
                "note_housing",
            ),
            ("visit", visit(guarantees={"food": False}, guarantee_notes={"food": "粮" * 200}), None),
            ("visit", visit(guarantees={"food": True}, guarantee_notes={"food": "长" * 300}), None),
            ("visit", visit(photos=[photo] * 10), "photos"),
            ("visit", visit(photos=[photo]), None),
        ],
    )


@pytest.fixture
def lookback_item(users, household):
    monitoring.open_lookback(
        by=users["county"],
        region_code=factories.VILLAGE[:6],
        name="2026年回头看",
        year=timezone.localdate().year - 1,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
        income_line=Decimal("5000"),
    )
    return household.lookback_items.get()


def checklist(item, **changes) -> dict:
    items = ("income", "food_clothing", "education", "medical", "housing", "water")
    data = {"item": item.pk, "base": dict.fromkeys(items), "results": dict.fromkeys(items, True)}
    return data | {"notes": {}, "checked_on": _days(0)} | changes


def test_a_lookback_checklist_is_refused_on_the_phone_as_the_server_refuses_it(
    clerk_phone, household, lookback_item
):
    item = lookback_item
    some = {"income": True, "food_clothing": True, "education": False, "water": True}
    assert_same(
        clerk_phone,
        household,
        [
            ("lookback", checklist(item), None),
            ("lookback", checklist(item, results=some), "__all__"),  # two unanswered
            ("lookback", checklist(item, results=some | {"medical": True, "housing": True}), "__all__"),
            (
                "lookback",
                checklist(
                    item, results=some | {"medical": True, "housing": True}, notes={"education": "辍学一人"}
                ),
                None,
            ),
            ("lookback", checklist(item, checked_on=_days(1)), "__all__"),
            ("lookback", checklist(item, checked_on=""), "checked_on"),
        ],
    )


def join(member: dict | None = None, **changes) -> dict:
    person = {"name": "欧阳小宝", "relation": "grandson", "id_number": NEWBORN} if member is None else member
    request = {"change_kind": "member_join", "payload": {"cause": "born", "member": person}}
    return request | {"reason": "新生儿落户", "evidence_reference": "出生医学证明 No.123"} | changes


def test_a_new_member_is_refused_on_the_phone_as_the_server_refuses_it(clerk_phone, household):
    good = {"name": "欧阳小宝", "relation": "grandson", "id_number": NEWBORN}
    wrong_sex = "F" if int(NEWBORN[16]) % 2 else "M"
    assert_same(
        clerk_phone,
        household,
        [
            ("change_request", join(), None),
            ("change_request", join(good | {"id_number": NEWBORN[:17] + "Y"}), "id_number"),
            ("change_request", join(good | {"sex": wrong_sex, "birth_date": "2024-02-04"}), "sex"),
            ("change_request", join(good | {"birth_date": "2024-02-04"}), "birth_date"),
            (
                "change_request",
                join(good | {"sex": "M" if wrong_sex == "F" else "F", "birth_date": "2024-02-03"}),
                None,
            ),
            ("change_request", join(good | {"name": "名" * 51}), "name"),
            ("change_request", join(good | {"id_number": "1" * 70}), "id_number"),
            ("change_request", join({"id_number": NEWBORN}), "relation"),
            ("change_request", join(good | {"id_number": "11010119900307447"}), "id_number"),
            ("change_request", join(reason="  "), "reason"),
            ("change_request", join(reason="因" * 2001), "reason"),
            ("change_request", join(evidence_reference="证" * 301), "evidence_reference"),
            ("change_request", join(evidence_reference=""), "evidence"),
            ("change_request", join(good | {"relation": "head"}), "relation"),  # the household has one
        ],
        next(h for h in clerk_phone.work_set().json()["households"] if h["id"] == household.pk),
    )


def income(**figures) -> dict:
    payload = {"year": 2025, "household_size": 2, "wages": "12000.00"} | figures
    return {
        "change_kind": "income_correction",
        "payload": payload,
        "reason": "重新核算",
        "evidence_reference": "台账",
    }


INCOME_CASES = [
    ({}, None),
    ({"wages": "-5"}, "wages"),
    ({"wages": "-0"}, None),
    ({"wages": "1,234.5"}, None),
    ({"wages": "１２３４５"}, None),
    ({"wages": "1_000"}, None),
    ({"wages": "1e3"}, None),
    ({"wages": "12.345"}, "wages"),
    ({"wages": "12.3400"}, None),
    ({"wages": "1e-3"}, "wages"),
    ({"wages": "999999999.99"}, None),
    ({"wages": "1000000000"}, "wages"),
    ({"wages": "1e9"}, "wages"),
    ({"wages": "1e999999999999999999"}, "wages"),
    ({"wages": "1e1000000000000000000"}, "wages"),
    ({"wages": "abc"}, "wages"),
    ({"wages": "5元"}, "wages"),
    ({"wages": "Infinity"}, "wages"),
    ({"wages": "NaN"}, "wages"),
    ({"wages": "  "}, None),
    ({"production": "-1", "wages": "abc"}, "wages"),
    ({"household_size": 100}, "household_size"),
    ({"year": None}, "year"),
    ({"year": 1999}, "year"),
    ({"year": 10000}, "year"),
]


def test_income_figures_are_refused_on_the_phone_as_the_server_refuses_them(clerk_phone, household):
    assert_same(
        clerk_phone,
        household,
        [("change_request", income(**figures), refused) for figures, refused in INCOME_CASES],
    )


def leave(member, new_head=None, **changes) -> dict:
    payload = {"cause": "died", "member_id": member.pk, "new_head_id": getattr(new_head, "pk", None)}
    request = {"change_kind": "member_leave", "payload": payload}
    return request | {"reason": "病故", "evidence_reference": "死亡证明 No.9"} | changes


def test_a_head_leaving_is_refused_on_the_phone_as_the_server_refuses_it(clerk_phone, household):
    head = household.members.get(relation=codes.Relation.HEAD)
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    carried = next(h for h in clerk_phone.work_set().json()["households"] if h["id"] == household.pk)
    assert_same(
        clerk_phone,
        household,
        [
            ("change_request", leave(head), "new_head_id"),
            ("change_request", leave(head, head), "new_head_id"),
            ("change_request", leave(head, son), None),
            ("change_request", leave(son), None),
            ("change_request", leave(son, reason=""), "reason"),
        ],
        carried,
    )


def _declaration(by, household):
    head = household.members.get(relation=codes.Relation.HEAD)
    return declarations.intake(
        by=by,
        channel=Channel.CADRE,
        village_code=factories.VILLAGE,
        name=head.name,
        id_number=head.id_number,
        phone="13907970123",
        hardship="illness",
        description="家里老人住院，花费很大",
        consent=True,
    )


def test_a_declarations_home_check_is_refused_on_the_phone_as_the_server_refuses_it(
    phone, clerk_phone, household, users
):
    """The paired helper records what was found (findings needed, always); the village verifies (findings
    needed unless a helper recorded some before)."""
    at_home = _declaration(users["clerk"], household)
    newcomer = factories.make_household(head="周九", status=codes.HouseholdStatus.UNREGISTERED)
    to_verify = _declaration(users["clerk"], newcomer)

    def check(on, found, findings, refused):
        carried = next(d for d in on.work_set().json()["declarations"] if d["id"] == found.pk)
        data = {"declaration": found.pk, "findings": findings}
        assert_same(on, None, [("declaration", data, refused)], carried)

    for on, found in ((phone, at_home), (clerk_phone, to_verify)):
        check(on, found, " ", "findings")
        check(on, found, "属实，已入户", None)
    declarations.record_visit(at_home, by=phone.user, findings="老人住院属实")
    declarations.record_visit(to_verify, by=users["clerk"], findings="老人住院属实")
    check(phone, at_home, "", "findings")
    check(clerk_phone, to_verify, "", None)  # the findings recorded before are confirmed


def test_any_amount_typed_is_read_on_the_phone_as_money_parse_yuan_reads_it():
    """Three thousand strings of what people type into an amount (digits, full-width digits, separators,
    signs, points, exponents, underscores, words): the phone's answer is parse_yuan's, message for message."""
    pick = random.Random(21)
    alphabet = "0123456789" * 3 + "１２９０" + ".,，-+eE_ " + "元万abInfNa"
    typed = ["".join(pick.choices(alphabet, k=pick.randint(0, 14))) for _ in range(3000)]
    typed += ["9" * 9, "9" * 9 + ".99", "9" * 9 + ".999", "1" + "0" * 9, "0.001", "-0.00", "1e-2", "1E+08"]
    rule = field_rules()["income"]["money"]
    on_phone = run_phone({}, [{"money": t, "rule": rule} for t in typed])
    for t, mine in zip(typed, on_phone, strict=True):
        try:
            money.parse_yuan(t, below=money.CHANGE_INCOME_BELOW, blank=Decimal("0.00"))
            server = None
        except money.MoneyError as e:
            server = str(e)
        assert mine == server, t
    assert sum(1 for m in on_phone if m is None) > 300 and len(set(on_phone)) == 5  # taken, and each refusal


def test_any_id_number_typed_is_read_on_the_phone_as_idnumber_parse_reads_it():
    """Two thousand numbers near the real ones (right length, dates that exist or not, check characters right
    or wrong, a character too many or too few, lower-case x): the phone's refusal is parse's."""
    pick = random.Random(11643)
    today = datetime.date(2026, 12, 6)
    numbers = []
    for _ in range(2000):
        born = datetime.date(1880, 1, 1) + datetime.timedelta(days=pick.randint(0, 60000))
        body = f"{pick.randint(110000, 659999)}{born:%Y%m%d}{pick.randint(0, 999):03d}"
        number = body + idnumber.check_character(body)
        shape = pick.random()
        if shape < 0.3:
            number = body + pick.choice("0123456789Xx")
        elif shape < 0.4:
            number = number[: pick.randint(0, 18)] + "".join(
                pick.choices("0123456789X", k=pick.randint(0, 2))
            )
        elif shape < 0.5:
            number = number[:10] + f"{pick.randint(0, 19):02d}{pick.randint(0, 39):02d}" + number[14:]
        numbers.append(number)
    on_phone = run_phone(field_rules(), [{"id_number": n, "today": today.isoformat()} for n in numbers])
    for number, mine in zip(numbers, on_phone, strict=True):
        try:
            idnumber.parse(number, today=today)
            server = None
        except idnumber.IdNumberError as e:
            server = str(e)
        assert mine == server, number
    assert len({m.split("：")[0].split(" ")[0] if m else m for m in on_phone}) >= 6


def test_a_phone_number_longer_than_its_column_is_refused_on_the_phone_as_on_the_server(
    clerk_phone, household
):
    member = household.members.get(relation=codes.Relation.HEAD)
    base = {"member": member.pk, "version": member.version, "base": {"phone": member.phone}}
    assert_same(
        clerk_phone,
        household,
        [
            ("member", base | {"changes": {"phone": "1" * 21}}, "phone"),
            ("member", base | {"changes": {"phone": "1" * 20}}, None),
        ],
    )


def test_the_phone_dates_the_day_in_chinas_zone_whatever_its_own(phone):
    """At 07:30 in China it is still the day before in UTC: the phone's today is the server's."""
    rules = phone.work_set().json()["rules"]
    assert rules["today"]["time_zone"] == "Asia/Shanghai" and rules["today"]["offset_minutes"] == 480
    instants = [
        datetime.datetime(2026, 12, 5, 23, 30, tzinfo=datetime.UTC),  # 07:30 on 6 December in China
        datetime.datetime(2026, 12, 6, 15, 59, tzinfo=datetime.UTC),  # 23:59 in China
        datetime.datetime(2026, 12, 6, 16, 0, tzinfo=datetime.UTC),  # midnight: 7 December
    ]
    cases = [{"today_only": True, "now": i.isoformat()} for i in instants]
    for zone in ("UTC", "America/Los_Angeles", "Asia/Shanghai"):  # the phone's own setting does not matter
        days = run_phone(rules, cases, zone)
        assert days == [timezone.localtime(i).date().isoformat() for i in instants]
        assert days == ["2026-12-06", "2026-12-06", "2026-12-07"]
    # a visit dated that day is taken at 07:30 China time, the next day is refused
    at = instants[0].isoformat()
    checked = run_phone(
        rules,
        [
            {"kind": "visit", "data": visit(visited_on="2026-12-06"), "now": at},
            {"kind": "visit", "data": visit(visited_on="2026-12-07"), "now": at},
        ],
    )
    assert checked == [{}, {"visited_on": rules["visit"]["date_in_future"]}]
