"""Issue 14, finding 2, through the pages: a role that may not see full ID numbers (prefecture, province) gets
no birth date (exactly the masked digits), no partial ID search, no unmasked value in the history, an export
or a suspect record's text."""

import io

import pytest
from openpyxl import load_workbook

from fupin.core import idnumber
from fupin.monitoring.models import Finding
from fupin.registry import masking
from tests import factories

pytestmark = pytest.mark.django_db

MASKED_ROLES = ["prefecture", "province"]


def spellings(member) -> list[str]:
    d = member.birth_date
    return [d.isoformat(), f"{d:%Y%m%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y-%m-%d}"]


@pytest.fixture
def household(tree):
    return factories.make_household(phone="13812345678", bank_account="6217001234567890123")


@pytest.mark.parametrize("who", MASKED_ROLES)
def test_household_page_and_history_show_the_birth_year_only(client, users, household, who):
    head = household.members.get(relation="head")
    client.force_login(users[who])
    for path in (f"/households/{household.pk}/", f"/households/{household.pk}/history/"):
        page = client.get(path).content.decode()
        for secret in spellings(head) + [head.id_number, "13812345678", "6217001234567890123"]:
            assert secret not in page, (path, secret)
        assert f"{head.birth_date.year}年" in page
    assert (
        "岁" not in client.get(f"/households/{household.pk}/").content.decode()
    )  # an age ticks over on the birthday


def test_the_village_still_sees_age_but_the_history_masks_identifiers_by_default(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    assert "岁" in client.get(f"/households/{household.pk}/").content.decode()
    history = client.get(f"/households/{household.pk}/history/").content.decode()
    # issue 17: masked by default for every role; the household page reveals them with a purpose, logged
    assert head.birth_date.isoformat() not in history and head.id_number not in history


@pytest.mark.parametrize("who", MASKED_ROLES)
def test_list_search_and_export_match_only_whole_id_numbers(client, users, household, who):
    head = household.members.get(relation="head")
    client.force_login(users[who])
    for part in (head.id_number[:10], head.id_number[:17]):
        assert head.name not in client.get("/households/", {"q": part}).content.decode(), part
        rows = list(
            load_workbook(
                io.BytesIO(b"".join(client.get("/households/export/", {"q": part}).streaming_content)),
                read_only=True,
            ).active.iter_rows(values_only=True)
        )
        assert len(rows) == 1, part  # the heading only
    assert head.name in client.get("/households/", {"q": head.id_number}).content.decode()
    body = b"".join(client.get("/households/export/").streaming_content)
    cells = [
        str(c)
        for row in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)
        for c in row
    ]
    assert head.id_number not in cells and idnumber.mask(head.id_number) in cells
    assert not any(s in c for c in cells for s in spellings(head))


def test_a_cached_list_is_not_shared_between_readers_who_search_differently(client, users, household):
    """The list's cache key has the reader's scope; a county office bound to the prefecture's code would share
    it."""
    head = household.members.get(relation="head")
    misbound = factories.make_user("misbound", "county", factories.VILLAGE[:4])
    client.force_login(misbound)
    assert (
        head.name
        in client.get(
            "/households/", {"q": head.id_number[-6:], "region": factories.VILLAGE}
        ).content.decode()
    )
    client.force_login(users["prefecture"])
    assert (
        head.name
        not in client.get(
            "/households/", {"q": head.id_number[-6:], "region": factories.VILLAGE}
        ).content.decode()
    )


@pytest.mark.parametrize("who", MASKED_ROLES)
def test_suspect_record_text_and_evidence_are_masked(client, users, household, who):
    head = household.members.get(relation="head")
    finding = Finding.objects.create(
        household=household,
        member=head,
        village_code=household.village_id,
        department="registry",
        rule="identity_mismatch",
        severity=2,
        detail=f"成员{head.name}登记的出生日期（{head.birth_date}）或性别与身份证号 {head.id_number} 不一致",
        evidence={"身份证号": head.id_number, "出生日期": head.birth_date.strftime("%Y%m%d")},
    )
    client.force_login(users[who])
    for path in (f"/monitoring/findings/{finding.pk}/", "/monitoring/findings/"):
        page = client.get(path).content.decode()
        assert head.name in page
        for secret in spellings(head) + [head.id_number]:
            assert secret not in page, (path, secret)
    client.force_login(users["township"])
    assert head.id_number in client.get(f"/monitoring/findings/{finding.pk}/").content.decode()


def test_mask_changes_reaches_nested_values_and_is_idempotent():
    changes = {
        "members": [
            None,
            [
                {
                    "name": "甲",
                    "id_number": "11010519491231002X",
                    "birth_date": "1949-12-31",
                    "phone": "13812345678",
                }
            ],
        ],
        "reason": ["", "证件 11010519491231002X 已注销"],
        "birth_date": ["1949-12-31", None],
    }
    masked = masking.mask_changes(changes)
    assert masked["members"][1][0] == {
        "name": "甲",
        "id_number": "110105********002X",
        "birth_date": "1949年",
        "phone": "138****5678",
    }
    assert masked["reason"] == ["", "证件 110105********002X 已注销"]
    assert masked["birth_date"] == ["1949年", None]
    assert masking.mask_changes(masked) == masked


def test_whole_number_searches_on_the_list_are_counted_even_when_the_page_is_cached(
    client, users, household, monkeypatch
):
    monkeypatch.setattr(masking, "ID_SEARCHES_PER_DAY", 2)
    head = household.members.get(relation="head")
    client.force_login(users["prefecture"])
    query = {"q": head.id_number, "region": factories.VILLAGE}
    found = [head.name in client.get("/households/", query).content.decode() for _ in range(3)]
    assert found == [True, True, False]


def test_the_history_export_is_the_page_s_record_masked_and_in_scope(client, users, household):
    from django.urls import reverse

    from fupin.registry import services as registry
    from tests.core.test_table_inventory import _export

    head = household.members.get(relation="head")
    registry.update_member(head, by=users["clerk"], phone="13900000001")
    client.force_login(users["clerk"])
    page = client.get(f"/households/{household.pk}/history/").content.decode()
    link = reverse("core:export_start", args=["registry.history"]) + f"?household={household.pk}"
    assert link in page.replace("&amp;", "&")
    status, rows = _export(client, "registry.history", household=household.pk)
    assert status == 200 and rows[0] == ["时间", "操作人", "角色", "操作", "对象", "项目", "原值", "新值"]
    phone = next(r for r in rows[1:] if r[7] and r[7].endswith("0001"))
    assert phone[7] == masking.mask_value("phone", "13900000001") and "13900000001" not in str(rows)
    assert head.id_number not in str(rows) and "13812345678" not in str(rows)
    assert len(rows) > 2  # the household's creation too
    client.force_login(users["other_county"])
    assert _export(client, "registry.history", household=household.pk)[0] == 404
    client.force_login(users["clerk"])
    assert _export(client, "registry.history")[0] == 404
    assert _export(client, "registry.history", household="abc")[0] == 404
