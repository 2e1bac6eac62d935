"""The API's look-back checklist write carries the version as the page's form does (issue 16, finding 3): a
household already checked is re-recorded only with If-Match (428 without, 412 on another client's version),
and a first record sent without If-Match does not overwrite one another user made meanwhile."""

import datetime

import pytest

from fupin.monitoring import services
from tests import factories

pytestmark = pytest.mark.django_db

ALL_MET = dict.fromkeys(("income", "food_clothing", "education", "medical", "housing", "water"), True)


def _item(users):
    return factories.lookback_item(users["township"], factories.make_household())


def _body(**notes):
    return {"results": ALL_MET, "notes": notes, "checked_on": "2025-10-01"}


def test_a_checked_household_is_recorded_again_only_on_its_version(api, users):
    item = _item(users)
    client, url = api("clerk"), f"/api/v1/monitoring/lookback-items/{item.pk}/"
    first = client.post(url, _body())  # not checked yet: no If-Match needed
    assert first.status_code == 200, first.content
    etag = first["ETag"]
    item.refresh_from_db()
    assert etag == f'"{item.version}"'

    services.record_lookback_item(  # another user re-records it meanwhile
        item,
        by=users["clerk"],
        results=ALL_MET,
        notes={"housing": "已加固"},
        checked_on=datetime.date(2025, 10, 2),
    )
    assert client.post(url, _body(water="自来水入户")).status_code == 428
    refused = client.post(url, _body(water="自来水入户"), HTTP_IF_MATCH=etag)
    assert refused.status_code == 412 and refused.json()["code"] == "version_conflict"
    item.refresh_from_db()
    assert item.notes == {"housing": "已加固"} and item.checked_on == datetime.date(2025, 10, 2)

    saved = client.post(url, _body(water="自来水入户"), HTTP_IF_MATCH=refused["ETag"])
    assert saved.status_code == 200
    item.refresh_from_db()
    assert item.notes == {"water": "自来水入户"} and saved["ETag"] == f'"{item.version}"'
