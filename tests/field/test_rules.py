"""The rules the phone checks before it queues a change (issue 21, item 2): carried in the work set, made from
the server's own code, so a message shown on the phone offline is word for word the one the server gives."""

import datetime
import json

import pytest

from fupin.core import idnumber
from fupin.field.selectors import rules
from fupin.registry.validation import NAME_REQUIRED, RELATION_REQUIRED, check_identity

pytestmark = pytest.mark.django_db

GOOD = "110101199003074477"


def phone_message(raw: str, rule: dict, today: datetime.date) -> str | None:
    """What app.js's idNumberError does with the work set's rule, step for step (the browser test runs the
    JavaScript itself)."""
    m = rule["messages"]
    n = raw.strip().upper()
    if not n:
        return m["empty"]
    if len(n) != 18:
        return m["old"] if len(n) == 15 else m["length"].format(length=len(n))
    if not (n[:17].isdigit() and (n[17].isdigit() or n[17] == "X")):
        return m["characters"]
    digits = n[6:14]
    try:
        birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return m["no_date"].format(digits=digits)
    if birth > today or birth.year < rule["earliest_year"]:
        return m["odd_date"].format(date=birth.isoformat())
    expected = rule["check"][sum(w * int(c) for w, c in zip(rule["weights"], n, strict=False)) % 11]
    return None if n[17] == expected else m["check"].format(expected=expected)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "  ",
        "110101900307447",  # 15 digits: the old form
        "11010119900307",
        "11010119900307447A",
        "1101011990030744x7",
        "110101199002304471",  # 30 February
        "110101000001014471",  # year 0
        "110101188001014471",  # before 1890
        "110101209901014471",  # in the future
        GOOD[:17] + "0",  # the wrong check character
        GOOD[:17] + "X",
        GOOD,
        GOOD.lower(),
    ],
)
def test_the_phones_id_number_messages_are_what_the_server_raises(raw):
    today = datetime.date(2026, 12, 6)
    try:
        idnumber.parse(raw, today=today)
        server = None
    except idnumber.IdNumberError as e:
        server = str(e)
    assert phone_message(raw, rules()["id_number"], today) == server


def test_the_work_set_carries_the_rules_small_and_in_the_servers_words(phone):
    body = phone.work_set().json()
    carried = body["rules"]
    assert carried["required"] == {"name": NAME_REQUIRED, "relation": RELATION_REQUIRED}
    rule = carried["id_number"]
    assert tuple(rule["weights"]) == idnumber.WEIGHTS and rule["check"] == idnumber.CHECK_CHARS
    wrong = GOOD[:17] + "0"
    # the message the member form and a change request give, through the registry's own check
    assert rule["messages"]["check"].format(expected="7") == check_identity(id_number=wrong)[0]["id_number"]
    assert len(json.dumps(carried, ensure_ascii=False).encode()) < 1000
