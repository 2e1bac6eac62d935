"""Issue 14 follow-up: a registered household's members keep who they are — the ID number and the name
(sex and birth date follow the ID number) change only by a reviewed change request (更正成员身份信息),
never by the member form, the API or the import; contact fields stay direct edits. The guarantee check
of a year an exit procedure used is locked the same way (更正两不愁三保障)."""
import pytest

from fupin.registry.imports import import_file
from fupin.registry.models import Member
from tests import factories
from tests.registry.import_files import new_id, write_csv
from tests.registry.test_status_lock import existing_rows


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
        ("姓名", f"户 {poor.number} 已建档立卡，更正成员姓名须提交变更申请，经乡镇审核后生效")]
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
