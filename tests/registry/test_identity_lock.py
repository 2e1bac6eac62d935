"""Issue 14 follow-up: a registered household's members keep who they are — the ID number and the name
(sex and birth date follow the ID number) change only by a reviewed change request (更正成员身份信息),
never by the member form, the API or the import; contact fields stay direct edits. The guarantee check
of a year an exit procedure used is locked the same way (更正两不愁三保障)."""

import datetime

import pytest
from django.urls import reverse

from fupin.procedures.models import Stage
from fupin.registry import services
from fupin.registry.forms import MemberForm
from fupin.registry.imports import import_file
from fupin.registry.models import GUARANTEES, GuaranteeCheck, Member
from tests import factories
from tests.registry.import_files import new_id, write_csv
from tests.registry.test_status_lock import existing_rows, used_by_a_procedure


@pytest.fixture
def poor(tree):
    """A registered household (贫困户 since 2016) with a head and two sons."""
    return factories.make_household(head="张三丰", members=3)


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


# --- the import -----------------------------------------------------------------------------------


def test_import_refuses_a_new_name_for_a_registered_member(tmp_path, users, poor):
    son = poor.members.exclude(relation="head").order_by("pk").first()
    rows = existing_rows(poor)
    row = next(r for r in rows if r["证件号码"] == son.id_number)
    row["姓名"] = "李冒名"
    result = import_file(write_csv(tmp_path / "h.csv", rows), user=users["county"])
    assert not result.imported
    assert [(col, why) for _, col, why in errors_of(result)] == [
        ("姓名", f"户 {poor.number} 已建档立卡，更正成员姓名须提交变更申请，经乡镇审核后生效")
    ]
    son.refresh_from_db()
    assert son.name != "李冒名"
    # the file as registered still imports
    assert import_file(write_csv(tmp_path / "h.csv", existing_rows(poor)), user=users["county"]).imported


def test_import_refuses_a_changed_id_number_of_a_registered_member(tmp_path, users, poor):
    son = poor.members.exclude(relation="head").order_by("pk").first()
    rows = existing_rows(poor)
    row = next(r for r in rows if r["证件号码"] == son.id_number)
    row["证件号码"] = new_id(birth=son.birth_date, sex=son.sex)
    result = import_file(write_csv(tmp_path / "h.csv", rows), user=users["county"])
    assert not result.imported
    assert any(col == "证件号码" and "须提交变更申请" in why for _, col, why in errors_of(result))
    assert Member.objects.filter(pk=son.pk, id_number=son.id_number).exists()


# --- the service and the member form ----------------------------------------------------------------


def test_service_refuses_a_new_id_number_or_name_and_keeps_contact_fields_direct(users, poor):
    son = poor.members.exclude(relation="head").order_by("pk").first()
    for change in ({"id_number": factories.id_number(sex="M")}, {"name": "李冒名"}):
        with pytest.raises(services.LockedError) as e:
            services.update_member(son, by=users["clerk"], **change)
        ((field, message),) = e.value.errors.items()
        assert field in change and "更正成员身份信息" in message and "变更申请" in message
    son.refresh_from_db()
    assert son.name != "李冒名"
    # the same values (as the member form posts them) and the contact fields stay direct edits
    services.update_member(
        son,
        by=users["clerk"],
        id_number=son.id_number.lower(),
        name=f" {son.name} ",
        sex="",
        birth_date=None,
        phone="13700000000",
    )
    assert Member.objects.get(pk=son.pk).phone == "13700000000"


def test_member_of_a_household_outside_the_registry_is_still_edited_directly(users, tree):
    applicant = factories.make_household(head="李四", status="applicant")
    head = applicant.members.get(relation="head")
    services.update_member(head, by=users["clerk"], name="李四海")
    assert Member.objects.get(pk=head.pk).name == "李四海"


def test_member_form_shows_the_identity_read_only_and_refuses_a_forged_post(client, users, poor):
    son = poor.members.exclude(relation="head").order_by("pk").first()
    client.force_login(users["clerk"])
    url = reverse("registry:member_edit", args=[poor.pk, son.pk])
    page = client.get(url).content.decode()
    assert "readonly" in page and "更正成员身份信息" in page
    data = {
        name: value
        for name, value in MemberForm.initial_for(son).items()
        if value is not None and value is not False
    } | factories.based_on(client, url)
    other_id = factories.id_number(sex="M", birth=son.birth_date)
    response = client.post(url, data | {"id_number": other_id})
    assert response.status_code == 200 and "不能直接修改" in response.content.decode(), response.context[
        "form"
    ].errors
    assert Member.objects.get(pk=son.pk).id_number == son.id_number
    response = client.post(url, data | {"phone": "13700000000"})
    assert response.status_code == 302 and Member.objects.get(pk=son.pk).phone == "13700000000"


# --- the guarantee check of a year an exit procedure used ------------------------------------------


def checked(household, by, year=2025, **items):
    return services.record_guarantees(
        household,
        by=by,
        year=year,
        checked_on=datetime.date(year, 11, 2),
        items={g: True for g in GUARANTEES} | items,
        notes={g: "未达标" for g, met in items.items() if not met},
    )


def used_by_an_exit(household, year, stage=Stage.APPRAISAL):
    batch = used_by_a_procedure(household, year, stage=stage)
    batch.entries.update(guarantees_met=True)
    return batch


def test_guarantee_check_of_a_year_an_exit_used_is_corrected_only_by_change_request(client, users, poor):
    checked(poor, users["clerk"])
    used_by_an_exit(poor, 2025)
    with pytest.raises(services.LockedError) as e:
        checked(poor, users["clerk"], water=False)
    assert "更正两不愁三保障" in e.value.errors["year"]
    # the form says so too; the same values are no change
    client.force_login(users["clerk"])
    url = reverse("registry:guarantees_record", args=[poor.pk]) + "?year=2025"
    form = (
        {"year": "2025", "checked_on": "2025-11-02"}
        | {g: "1" for g in GUARANTEES}
        | {"water": "0", "water_note": "缺水"}
    )
    response = client.post(url, form | factories.based_on(client, url))
    assert response.status_code == 200 and "已用于退出程序" in response.content.decode()
    assert GuaranteeCheck.objects.get(household=poor, year=2025).water
    checked(poor, users["clerk"])
    # another year, and a batch still at its survey, leave the check direct
    checked(poor, users["clerk"], year=2024, water=False)
    other = factories.make_household(head="李四")
    checked(other, users["clerk"])
    used_by_an_exit(other, 2025, stage=Stage.SURVEY)
    checked(other, users["clerk"], water=False)
