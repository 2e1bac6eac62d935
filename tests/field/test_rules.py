"""The rules the phone checks before it queues a change (issue 21, item 2): carried in the work set, made from
the server's own code, so a message shown on the phone offline is word for word the one the server gives."""

import datetime
import json

import pytest

from fupin.core import idnumber
from fupin.field.selectors import rules
from fupin.registry.validation import NAME_REQUIRED, RELATION_REQUIRED, check_identity

from .test_rules_parity import run_phone

pytestmark = pytest.mark.django_db

GOOD = "110101199003074477"


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
    assert run_phone(rules(), [{"id_number": raw, "today": today.isoformat()}]) == [server]


def test_the_work_set_carries_the_rules_small_and_in_the_servers_words(phone):
    body = phone.work_set().json()
    carried = body["rules"]
    assert carried["required"] == {"name": NAME_REQUIRED, "relation": RELATION_REQUIRED}
    rule = carried["id_number"]
    assert tuple(rule["weights"]) == idnumber.WEIGHTS and rule["check"] == idnumber.CHECK_CHARS
    wrong = GOOD[:17] + "0"
    # the message the member form and a change request give, through the registry's own check
    assert rule["messages"]["check"].format(expected="7") == check_identity(id_number=wrong)[0]["id_number"]
    assert (
        len(json.dumps(carried, ensure_ascii=False).encode()) < 5000
    )  # every form's rules, once per work set
