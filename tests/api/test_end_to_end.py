"""The product's work done through the JSON API alone (issue 19): a whole identification from batch to announcement and
an exit, a pairing and a visit, a monitored household from signal to risk eliminated, a loan with its subsidy. Every
call is an HTTP request with a bearer token; the clock is moved forward for the notices' seven days."""

import datetime
import json

import pytest
from django.utils import timezone

from tests import factories
from tests.api.conftest import token_client

V1 = "/api/v1"
YEAR = 2025


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() at 1 September 2025 plus whatever the test moves it on by."""
    state = {"now": timezone.make_aware(datetime.datetime(2025, 9, 1, 9))}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def advance(days: int) -> None:
        state["now"] += datetime.timedelta(days=days)

    return advance


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.json() if response.content else {}


def new_household(client, head: str, income_per_person: int, *, status: str = "applicant") -> int:
    """A household built through the API: the household, its head and a son, a year's income."""
    made = ok(client.post(f"{V1}/households/", {"village": factories.VILLAGE, "status": status}), 201)
    for name, relation, birth in ((head, "head", datetime.date(1968, 3, 1)), (head[0] + "小一", "son", None)):
        number = factories.id_number(birth=birth or datetime.date(1995, 6, 2))
        ok(
            client.post(
                f"{V1}/households/{made['id']}/members/",
                {"name": name, "id_number": number, "relation": relation},
            ),
            201,
        )
    ok(client.put(f"{V1}/households/{made['id']}/incomes/{YEAR}/", {"wages": str(income_per_person * 2)}))
    return made["id"]


def post_files(client, path: str, data: dict) -> dict:
    return ok(client.client.post(path, data))


def photo(name="posted.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")


def walk_notices_and_reviews(batch: int, *, clerk, township, county, clock, during_notice=None) -> dict:
    base = f"{V1}/procedures/batches/{batch}"
    ok(clerk.client.post(f"{base}/notice/", {"photo": photo()}), 201)
    if during_notice:
        during_notice()
    clock(8)
    assert ok(clerk.post(f"{base}/notice/close/"))["stage"] == "township_review"
    assert ok(township.post(f"{base}/review/approve/", {"opinion": "审核通过"}))["stage"] == "second_notice"
    ok(township.client.post(f"{base}/notice/", {"photo": photo()}), 201)
    clock(8)
    assert ok(township.post(f"{base}/notice/close/"))["stage"] == "county_review"
    return ok(county.post(f"{base}/announce/", {"opinion": "复审通过，予以公告"}), 201)


def test_a_whole_identification_and_an_exit_through_the_api(api, users, clock):
    clerk, township, county, admin = api("clerk"), api("township"), api("county"), api("admin")
    for code, estimated in ((factories.VILLAGE, 8), (factories.SIBLING_VILLAGE, 22)):
        ok(
            admin.put(
                f"{V1}/procedures/village-profiles/{code}/{YEAR}/",
                {"population": 1000, "estimated_poor": estimated},
            )
        )
    quota = ok(
        county.put(f"{V1}/procedures/quotas/360722/{YEAR}/", {"persons": 60, "basis": "estimated_poor"})
    )
    assert quota["persons"] == 60
    village_quota = ok(clerk.get(f"{V1}/procedures/quotas/", {"year": YEAR}))["results"]
    assert [q["persons"] for q in village_quota if q["region"] == factories.VILLAGE] == [16]

    poorest, poor, richer = (
        new_household(clerk, h, i) for h, i in (("赵一", 2000), ("钱二", 2500), ("孙三", 9000))
    )
    batch = ok(
        clerk.post(
            f"{V1}/procedures/batches/",
            {"village": factories.VILLAGE, "kind": "identification", "year": YEAR},
        ),
        201,
    )
    base = f"{V1}/procedures/batches/{batch['id']}"
    entries = ok(
        clerk.post(
            f"{base}/households/", {"household_ids": [poorest, poor, richer], "primary_cause": "illness"}
        )
    )
    assert len(entries) == 3
    # skipping ahead is refused, in Chinese, in the one error shape
    refused = county.post(f"{base}/announce/", {"opinion": "同意"})
    assert (
        refused.status_code == 422
        and refused.json()["code"] == "refused"
        and "县级复审" in refused.json()["detail"]
    )

    assert ok(clerk.post(f"{base}/application/complete/"))["stage"] == "survey"
    assert ok(clerk.post(f"{base}/survey/complete/", {}))["stage"] == "appraisal"
    selected = [e for e in ok(clerk.get(f"{base}/entries/"))["results"] if e["state"] == "selected"]
    assert {e["household"] for e in selected} == {poorest, poor}
    votes = json.dumps({str(e["id"]): [9, 0] for e in selected})
    appraised = post_files(
        clerk,
        f"{base}/appraisal/",
        {
            "held_on": "2025-09-01",
            "representatives": 12,
            "present": 9,
            "votes": votes,
            "minutes": photo("minutes.jpg"),
        },
    )
    assert appraised["stage"] == "first_notice"

    def object_and_resolve():
        objection = ok(
            clerk.post(f"{base}/objections/", {"content": "家有营运货车", "entry": selected[1]["id"]}), 201
        )
        resolution = {"upheld": False, "resolution": "经核实无车辆登记"}
        ok(clerk.post(f"{V1}/procedures/objections/{objection['id']}/resolve/", resolution))

    announcement = walk_notices_and_reviews(
        batch["id"],
        clerk=clerk,
        township=township,
        county=county,
        clock=clock,
        during_notice=object_and_resolve,
    )
    assert announcement["kind"] == "announcement"
    assert ok(clerk.get(f"{V1}/households/{poorest}/"))["status"] == "poor"
    assert ok(clerk.get(f"{V1}/households/{richer}/"))["status"] != "poor"
    listed = ok(county.get(f"{V1}/procedures/notices/", {"kind": "announcement"}))["results"]
    assert [n["id"] for n in listed] == [announcement["id"]]

    # an exit in the next year: the household's income rose above the line, its guarantees are met
    clock(200)  # 2026-03-20: the tokens made in September have expired; new ones
    clerk, township, county = (token_client(users[who]) for who in ("clerk", "township", "county"))
    ok(
        clerk.put(
            f"{V1}/households/{poorest}/guarantees/2026/",
            {
                "checked_on": "2026-03-20",
                **dict.fromkeys(("food", "clothing", "education", "medical", "housing", "water"), True),
            },
        )
    )
    ok(clerk.put(f"{V1}/households/{poorest}/incomes/2026/", {"wages": "14000"}))
    exit_batch = ok(
        clerk.post(f"{V1}/procedures/batches/", {"village": factories.VILLAGE, "kind": "exit", "year": 2026}),
        201,
    )
    base = f"{V1}/procedures/batches/{exit_batch['id']}"
    ok(clerk.post(f"{base}/households/", {"household_ids": [poorest]}))
    entry = ok(clerk.get(f"{base}/entries/"))["results"][0]
    ok(
        clerk.post(
            f"{base}/helper-confirmations/", {"entry_ids": [entry["id"]], "helper_name": "县农业局 张干部"}
        )
    )
    ok(clerk.post(f"{base}/application/complete/"))
    ok(clerk.post(f"{base}/survey/complete/", {}))
    entry = ok(clerk.get(f"{base}/entries/"))["results"][0]
    assert entry["state"] == "selected", entry
    post_files(
        clerk,
        f"{base}/appraisal/",
        {
            "held_on": "2026-03-20",
            "representatives": 10,
            "present": 10,
            "votes": json.dumps({str(entry["id"]): [10, 0]}),
            "minutes": photo("m.jpg"),
        },
    )
    walk_notices_and_reviews(exit_batch["id"], clerk=clerk, township=township, county=county, clock=clock)
    exited = ok(clerk.get(f"{V1}/households/{poorest}/"))
    assert (exited["status"], exited["exit_year"]) == ("exited", 2026)
