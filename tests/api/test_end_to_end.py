"""The product's work done through the JSON API alone (issue 19): a whole identification from batch to
announcement and an exit, a pairing and a visit, a monitored household from signal to risk eliminated, a loan
with its subsidy. Every call is an HTTP request with a bearer token; the clock is moved forward for the
notices' seven days."""

import datetime
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from fupin.registry.models import ConsentScope
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
        member = ok(
            client.post(
                f"{V1}/households/{made['id']}/members/",
                {"name": name, "id_number": number, "relation": relation},
            ),
            201,
        )
        consent = {
            "member": member["id"],
            "given_on": "2025-09-01",
            "scopes": list(ConsentScope.values),
            "method": "in_person",
        }
        ok(client.post(f"{V1}/households/{made['id']}/consents/", consent), 201)  # 经济状况核对授权书
    ok(client.put(f"{V1}/households/{made['id']}/incomes/{YEAR}/", {"wages": str(income_per_person * 2)}))
    return made["id"]


def post_files(client, path: str, data: dict) -> dict:
    return ok(client.client.post(path, data))


def photo(name="posted.jpg"):
    """A real (tiny) JPEG: evidence is checked as an image."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


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


# The flows below start from households already in the registry (built by tests.factories, as the county's
# import would); everything done to them is done through the API.


def test_a_pairing_and_a_visit_through_the_api(api, household):
    county, clerk = api("county"), api("clerk")
    unit = ok(county.post(f"{V1}/assistance/units/", {"name": "县农业农村局", "region": "360722"}), 201)
    helper = ok(
        county.post(
            f"{V1}/assistance/helpers/",
            {"unit": unit["id"], "name": "张帮扶", "phone": "13700000009", "region": factories.VILLAGE[:9]},
        ),
        201,
    )
    today = timezone.localdate().isoformat()
    pairing = ok(
        county.post(
            f"{V1}/assistance/pairings/",
            {"household": household.pk, "helper": helper["id"], "started_on": today},
        ),
        201,
    )
    assert pairing["household"] == household.pk and pairing["ended_on"] is None
    visit = ok(
        clerk.post(
            f"{V1}/assistance/households/{household.pk}/visits/",
            {"visited_on": today, "findings": "家中生猪存栏12头，长势良好", "helper": helper["id"]},
        ),
        201,
    )
    visits = ok(clerk.get(f"{V1}/assistance/visits/", {"household": household.pk}))["results"]
    assert [v["id"] for v in visits] == [visit["id"]]
    active = ok(clerk.get(f"{V1}/assistance/pairings/", {"active": "true"}))["results"]
    assert [p["id"] for p in active] == [pairing["id"]]


@override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}})
def test_a_monitored_household_from_signal_to_risk_eliminated(api, users, django_capture_on_commit_callbacks):
    county, township, clerk = api("county"), api("township"), api("clerk")
    edge = factories.make_household(
        head="边缘户",
        income="4500",
        year=YEAR,
        status="unregistered",
        household_type="",
        primary_cause="",
        registration_year=None,
    )
    ok(
        county.put(
            f"{V1}/monitoring/thresholds/360722/{YEAR}/", {"threshold": "6000", "unregistered_line": "5000"}
        )
    )
    with django_capture_on_commit_callbacks(execute=True):  # the sweep runs once its request commits
        sweep = ok(county.post(f"{V1}/monitoring/sweeps/", {"kind": "signals", "year": YEAR}), 201)
    assert ok(county.get(f"{V1}/monitoring/sweeps/{sweep['id']}/"))["status"] == "done"
    signals = ok(clerk.get(f"{V1}/monitoring/signals/", {"year": YEAR}))["results"]
    assert edge.pk in {s["household"] for s in signals}

    case = ok(
        clerk.post(
            f"{V1}/monitoring/cases/",
            {
                "household": edge.pk,
                "kind": "marginal",
                "source": "sweep",
                "year": YEAR,
                "risk_description": "人均纯收入低于监测线",
            },
        ),
        201,
    )
    base = f"{V1}/monitoring/cases/{case['id']}"
    assert ok(clerk.post(f"{base}/appraise/", {"note": "村民代表一致同意"}))["stage"] == "appraised"
    assert ok(township.post(f"{base}/review/", {"note": "同意"}))["stage"] == "reviewed"
    assert ok(county.post(f"{base}/include/", {"note": "纳入监测"}))["stage"] == "measures"
    today = timezone.localdate().isoformat()
    measure = ok(
        clerk.post(
            f"{base}/measures/",
            {
                "kind": "employment",
                "description": "推荐到县工业园务工",
                "responsible": "张帮扶",
                "planned_on": today,
            },
        ),
        201,
    )
    # refused while the measure is open, in the error shape
    early = county.client.post(f"{base}/eliminate/", {"note": "已稳定", "evidence": photo("income.jpg")})
    assert early.status_code == 422 and early.json()["code"] == "refused"
    ok(clerk.post(f"{V1}/monitoring/case-measures/{measure['id']}/complete/", {"done_on": today}))
    ok(clerk.put(f"{V1}/households/{edge.pk}/incomes/{YEAR}/", {"wages": "30000"}))
    guarantees = dict.fromkeys(("food", "clothing", "education", "medical", "housing", "water"), True)
    ok(
        clerk.put(
            f"{V1}/households/{edge.pk}/guarantees/{YEAR}/", {"checked_on": f"{YEAR}-12-01", **guarantees}
        )
    )
    done = ok(
        county.client.post(f"{base}/eliminate/", {"note": "务工收入稳定", "evidence": photo("income.jpg")})
    )
    assert done["stage"] == "eliminated"
    steps = [s["stage"] for s in ok(clerk.get(f"{base}/steps/"))]
    assert steps[0] == "reported" and steps[-1] == "eliminated"


def test_a_loan_with_its_subsidy_through_the_api(api, household):
    clerk, county = api("clerk"), api("county")
    loan = ok(
        clerk.post(
            f"{V1}/funds/loans/",
            {
                "household": household.pk,
                "amount": "50000",
                "term_months": 36,
                "industry": "breeding",
                "purpose": "养殖生猪",
                "bank": "信丰农商银行",
                "village_opinion": "村委会、工作队论证同意",
                "capacity_confirmed": True,
                "applied_on": "2025-01-01",
            },
        ),
        201,
    )
    base = f"{V1}/funds/loans/{loan['id']}"
    ok(
        county.post(
            f"{base}/approve/", {"amount": "50000", "interest_rate": "4.75", "decided_on": "2025-01-05"}
        )
    )
    disbursed = ok(county.post(f"{base}/disburse/", {"disbursed_on": "2025-01-10", "contract_no": "JK-1"}))
    assert disbursed["status"] == "disbursed" and disbursed["maturity_on"] == "2028-01-10"
    ok(
        county.post(
            f"{base}/interest/", {"year": 2025, "quarter": 1, "amount": "461.81", "paid_on": "2025-03-20"}
        ),
        201,
    )
    lines = ok(county.get(f"{V1}/funds/subsidies/", {"county": "360722", "year": 2025, "quarter": 1}))
    assert [(line["loan"], line["payable_fen"]) for line in lines] == [(loan["id"], 46181)]
    paid = ok(
        county.post(
            f"{V1}/funds/subsidies/",
            {"county": "360722", "year": 2025, "quarter": 1, "paid_on": "2025-03-30"},
        ),
        201,
    )
    assert [(p["loan"], p["amount_fen"]) for p in paid] == [(loan["id"], 46181)]
    again = county.post(
        f"{V1}/funds/subsidies/", {"county": "360722", "year": 2025, "quarter": 1, "paid_on": "2025-03-30"}
    )
    assert again.status_code == 422 and again.json()["code"] == "refused"  # never paid twice
