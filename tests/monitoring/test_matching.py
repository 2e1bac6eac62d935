"""The cross-check's fast paths give the findings of the plain ones: a list whose ID numbers all read as they
are (found on upload) joined on the column itself, and the members' keys handed to DuckDB in memory
(PostgreSQL)."""

import datetime
import json
from decimal import Decimal

import polars as pl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.monitoring import cross_checks, matching
from fupin.monitoring.models import CrossCheck, Finding, MonitoringThreshold
from fupin.registry.models import Member
from tests import factories


@pytest.fixture(autouse=True)
def thresholds(db):
    MonitoringThreshold.objects.get_or_create(
        region_prefix="",
        year=2020,
        defaults={"threshold": Decimal("5000"), "unregistered_line": Decimal("4500")},
    )


def _upload(users, department, text):
    return cross_checks.upload_cross_check(
        by=users["county"], department=department, upload=SimpleUploadedFile("名单.csv", text.encode("utf-8"))
    )


def _findings(check) -> set[tuple]:
    rows = Finding.objects.filter(cross_check=check).values_list(
        "rule", "household_id", "member_id", "village_code", "detail", "severity", "evidence"
    )
    return {(*row[:-1], json.dumps(row[-1], sort_keys=True, ensure_ascii=False)) for row in rows}


def _rerun(check) -> set[tuple]:
    CrossCheck.objects.filter(pk=check.pk).update(status=CrossCheck.Status.UPLOADED)
    check.refresh_from_db()
    cross_checks.start_cross_check(check, by=check.run_by)
    check.refresh_from_db()
    assert check.status == CrossCheck.Status.DONE, check.message
    return _findings(check)


@pytest.fixture
def registry(users):
    own = factories.make_household(head="车主甲", members=3)
    factories.make_household(head="邻居乙", members=2)
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县丙")
    return own


@pytest.mark.django_db(transaction=True)
def test_a_list_is_kept_hashed_and_joined_with_the_same_findings_on_a_rerun(users, registry):
    members = list(Member.objects.filter(household=registry))
    text = "身份证号,车牌号,车辆类型\n" + "".join(
        f"{m.id_number},赣B{i:05d},{'二轮摩托车' if i else '小型轿车'}\n" for i, m in enumerate(members)
    )
    text += "110101199001011234,京A1,小型轿车\n"
    check = _upload(users, "vehicle", text)
    assert check.columns["ids_hashed"] is True
    with check.file.open(
        "rb"
    ) as f:  # the department's numbers are kept as blind indexes, never in plain text
        stored = f.read()
    assert b"110101199001011234" not in stored and not any(m.id_number.encode() in stored for m in members)
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    fast = _findings(check)
    assert len(fast) == len(members) and check.matched_members == len(members)
    assert _rerun(check) == fast


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kept_as", ["csv, numbers hashed", "csv, numbers plain"])
def test_a_list_stored_as_csv_before_the_columnar_store_gives_the_same_findings(users, registry, kept_as):
    """Lists are stored as Parquet since 2026-12-06 (matching.store_list); one kept from before, as CSV, its
    numbers hashed or from before that plain, is still matched, with the same findings."""
    members = list(Member.objects.filter(household=registry))
    text = "身份证号,车牌号,车辆类型\n" + "".join(
        f"{m.id_number},赣B{i:05d},{'二轮摩托车' if i else '小型轿车'}\n" for i, m in enumerate(members)
    )
    check = _upload(users, "vehicle", text)
    assert check.columns["stored_as"] == "parquet"
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    columnar = _findings(check)
    assert len(columnar) == len(members)

    columns = {k: v for k, v in check.columns.items() if k != "stored_as"}
    if kept_as == "csv, numbers hashed":
        with check.file.open("rb") as f:
            kept = pl.read_parquet(f).write_csv().encode()
    else:
        kept = text.encode()
        columns.pop("ids_hashed")
    check.file.save("kept-before.csv", ContentFile(kept), save=False)
    CrossCheck.objects.filter(pk=check.pk).update(file=check.file.name, columns=columns)
    check.refresh_from_db()
    assert _rerun(check) == columnar


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("number", [" {n}", "{n} ", "{n17}x", "", "{n17}"])
def test_a_lists_numbers_are_normalised_before_they_are_hashed(users, registry, number):
    head = registry.members.get(relation="head")
    Member.objects.filter(pk=head.pk).update(id_number=head.id_number[:17] + "X")
    other = registry.members.exclude(pk=head.pk).first()
    text = (
        f"身份证号,税额\n{other.id_number},1\n{number.format(n=other.id_number, n17=head.id_number[:17])},2\n"
    )
    check = _upload(users, "tax", text)
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    assert check.status == CrossCheck.Status.DONE, check.message
    # trimmed of spaces, a lower-case x read as X; 17 digits or nothing match no one
    assert check.matched_members == (2 if "x" in number else 1)


@pytest.mark.django_db(transaction=True)
def test_members_keys_in_memory_or_exported_give_the_same_findings(users, registry, monkeypatch):
    son = registry.members.exclude(relation="head").first()
    text = (
        "身份证号,姓名,出生日期,车牌号,车辆类型\n"
        f"{registry.members.get(relation='head').id_number},,,赣B1,小型轿车\n"
        f",{son.name},{son.birth_date:%Y-%m-%d},赣B2,三轮车\n"
        f",路人,{datetime.date(1990, 1, 1):%Y%m%d},赣B3,小型轿车\n"
    )
    check = _upload(users, "vehicle", text)
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    first = _findings(check)
    assert len(first) == 2
    monkeypatch.setattr(
        matching, "read_member_keys", lambda scope, with_names=False, consent=None: None
    )  # the CSV export
    assert _rerun(check) == first


@pytest.mark.django_db(transaction=True)
def test_header_names_with_spaces_around_them_are_read_as_their_names(users, registry):
    members = list(Member.objects.filter(household=registry))
    text = " 身份证号 , 车牌号\n" + "".join(f"{m.id_number},赣B{i:05d}\n" for i, m in enumerate(members))
    check = _upload(users, "vehicle", text)
    assert check.columns["id"] == "身份证号" and check.columns["extra"] == ["车牌号"]
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    assert check.status == CrossCheck.Status.DONE, check.message
    assert check.matched_members == len(members)
    evidence = Finding.objects.filter(cross_check=check).values_list("evidence", flat=True)
    assert all(e.get("车牌号", "").startswith("赣B") for e in evidence), list(evidence)
