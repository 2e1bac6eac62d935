"""The persons' export as JSON lines (issue 19's benchmark: GET /api/v1/members/export.jsonl): every person
in the caller's scope once, in id order, without identifiers, resumable after the last id received."""

import json

import pytest
from django.db import connection, transaction

from fupin.registry import person_export
from fupin.registry.models import Member
from tests import factories

URL = "/api/v1/members/export.jsonl"


def lines_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/x-ndjson")
    text = b"".join(response.streaming_content).decode()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_the_export_holds_every_person_in_scope_once_in_id_order_without_identifiers(api, users, household):
    factories.make_household(head="二户", members=3)
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县户")
    own = Member.objects.filter(village_code__startswith=factories.VILLAGE[:6]).order_by("pk")
    persons = lines_of(api("county").get(URL))
    assert [p["id"] for p in persons] == [m.pk for m in own]
    first = own.first()
    assert persons[0] == {
        "id": first.pk,
        "household": first.household_id,
        "village_code": first.village_code,
        "name": first.name,
        "sex": first.sex,
        "birth_year": first.birth_date.year,
        "relation": first.relation,
        "ethnicity": first.ethnicity,
        "education": first.education,
        "schooling": first.schooling,
        "health": first.health,
        "labour_skill": first.labour_skill,
        "work_status": first.work_status,
        "work_months": first.work_months,
        "disability_category": first.disability_category,
        "disability_level": first.disability_level,
    }
    text = json.dumps(persons, ensure_ascii=False)
    assert all(m.id_number not in text for m in Member.objects.all())
    # the other county's office exports its own persons only
    theirs = lines_of(api("other_county").get(URL))
    assert {p["village_code"] for p in theirs} == {factories.OTHER_COUNTY_VILLAGE}


def test_chunks_resume_after_the_last_id_and_a_region_narrows(api, users, household, monkeypatch):
    factories.make_household(head="二户", members=3)
    whole = lines_of(api("county").get(URL))
    monkeypatch.setattr(person_export, "LINES_A_WRITE", 1)  # every line passed on by itself
    chunked = b"".join(person_export.person_lines(users["county"], size=2)).decode()
    assert [json.loads(line)["id"] for line in chunked.splitlines()] == [p["id"] for p in whole]
    resumed = lines_of(api("county").get(URL, {"after": whole[1]["id"]}))
    assert resumed == whole[2:]
    assert lines_of(api("county").get(URL, {"after": whole[-1]["id"]})) == []
    assert lines_of(api("county").get(URL, {"region": factories.OTHER_COUNTY_VILLAGE[:6]})) == []
    bad = api("county").get(URL, {"after": "-1"})
    assert bad.status_code == 422 and "after" in bad.json()["errors"]


def test_a_liaison_and_a_token_without_the_registry_area_export_nothing(users, household):
    from django.test import Client

    from fupin.accounts.services import issue_token

    _, raw = issue_token(users["liaison"], name="liaison")
    refused = Client(headers={"Authorization": f"Bearer {raw}"}).get(URL)
    assert refused.status_code == 403
    _, funds_only = issue_token(users["county"], name="funds", scopes={"funds": "read"})
    assert Client(headers={"Authorization": f"Bearer {funds_only}"}).get(URL).status_code == 403


def test_text_holding_quotes_backslashes_and_control_characters_is_valid_json(api, users, household):
    """PostgreSQL writes plain text between quotes itself and leaves only such values to its JSON writer."""
    awkward = ['王"五', "李\\四", "赵\t六\n", "钱'七", "孙\\\\八\\"]
    members = list(Member.objects.filter(household=household).order_by("pk"))
    extra = factories.make_household(head="二户", members=3)
    members += list(Member.objects.filter(household=extra).order_by("pk"))
    for member, name in zip(members, awkward, strict=True):
        Member.objects.filter(pk=member.pk).update(name=name, labour_skill='"')
    persons = lines_of(api("county").get(URL))
    assert [p["name"] for p in persons] == awkward
    assert {p["labour_skill"] for p in persons} == {'"'}


def test_the_arrays_layout_names_the_columns_once_then_gives_each_persons_values_in_that_order(
    api, users, household
):
    factories.make_household(head="二户", members=3)
    objects = lines_of(api("county").get(URL))
    header, *rows = lines_of(api("county").get(URL, {"layout": "arrays"}))
    assert header == list(person_export.COLUMNS)
    assert rows == [list(person.values()) for person in objects]
    # resumed after an id, the response names its columns again; a region narrows it as the objects do
    resumed = lines_of(api("county").get(URL, {"layout": "arrays", "after": objects[1]["id"]}))
    assert resumed == [header, *rows[2:]]
    elsewhere = {"layout": "arrays", "region": factories.OTHER_COUNTY_VILLAGE[:6]}
    assert lines_of(api("county").get(URL, elsewhere)) == [header]
    bad = api("county").get(URL, {"layout": "csv"})
    assert bad.status_code == 422 and "layout" in bad.json()["errors"]


def test_awkward_text_in_the_arrays_layout_is_valid_json(api, users, household):
    awkward = ['王"五', "李\\四", "赵\t六\n"]
    members = list(Member.objects.filter(household=household).order_by("pk"))
    for member, name in zip(members, awkward, strict=False):
        Member.objects.filter(pk=member.pk).update(name=name, labour_skill='"')
    header, *rows = lines_of(api("county").get(URL, {"layout": "arrays"}))
    names = [row[header.index("name")] for row in rows]
    assert names[: len(members)] == awkward[: len(members)]
    assert {row[header.index("labour_skill")] for row in rows} == {'"'}


def test_on_postgresql_a_chunk_finds_its_persons_to_escape_through_the_partial_index(users, household):
    """registry 0014 writes person_export.NeedsEscaping's condition out as an index predicate: the planner
    uses the index only while the two are the same (a column added to COLUMNS needs a new index)."""
    if connection.vendor != "postgresql":
        pytest.skip("the partial index is PostgreSQL's")
    rows = Member.objects.filter(pk__gt=0).filter(person_export.NeedsEscaping(person_export.COLUMNS))
    sql, params = rows.values_list("pk", flat=True).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "member_json_escaped" in plan, plan


def test_a_name_given_a_quote_between_the_exports_statements_still_comes_out_as_valid_json(
    api, users, household
):
    """On PostgreSQL the rows to escape are read in the chunk's own statement, in its snapshot: no statement
    of their own runs before it, after which a name given a quote would be written between quotes as it is
    (a broken line). Here any such statement is followed at once by that change."""
    member = Member.objects.filter(household=household).order_by("pk").first()
    tests_of_escaping = []

    def give_a_quote_after_a_test_of_escaping(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if person_export.JSON_ESCAPED in (params or ()) and not tests_of_escaping:
            tests_of_escaping.append(sql)
            Member.objects.filter(pk=member.pk).update(name='王"五')
        return result

    with connection.execute_wrapper(give_a_quote_after_a_test_of_escaping):
        persons = lines_of(api("county").get(URL))  # every line read as JSON
    assert member.pk in [p["id"] for p in persons]
