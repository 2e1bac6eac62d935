"""Every table to Excel (issue 18, build item 3): fupin.core.table_exports and export_files through the
household list's description: the columns on the screen, numbers as numbers, masked as the screen is, scope
and filters as the page's, reveal only with a purpose (logged); a large list in the background, for its
requester alone, expiring."""

import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fupin.audit.models import AuditEntry
from fupin.core import export_files, table_exports
from fupin.core.models import ExportFile
from tests import factories

pytestmark = pytest.mark.django_db
START = reverse("core:export_start", args=["registry.households"])


def _rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _download(client, **params) -> list[list]:
    response = client.get(START, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment")
    return _rows(b"".join(response.streaming_content))


def test_small_list_is_the_screen_columns_numbers_as_numbers_and_masked(client, users):
    household = factories.make_household(head="张三丰", members=3, income="3500.00")
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="赵六")
    head = household.members.get(relation="head")
    client.force_login(users["county"])
    rows = _download(client)
    assert rows[0] == [
        "户编号",
        "户主",
        "户主身份证号",
        "村",
        "村民小组",
        "人口",
        "属性",
        "状态",
        "主要致贫原因",
        "年人均纯收入",
    ]
    assert [r[1] for r in rows[1:]] == ["张三丰"]  # not 赵六: another county's
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["人口"] == 3 and isinstance(row["年人均纯收入"], float) and row["年人均纯收入"] > 0
    assert row["户主身份证号"] != head.id_number and "*" in row["户主身份证号"]  # masked as on the screen


def test_filters_of_the_page_apply_and_another_region_is_refused(client, users):
    factories.make_household(head="张三丰", primary_cause="illness")
    factories.make_household(head="李四", primary_cause="disability")
    client.force_login(users["township"])
    assert [r[1] for r in _download(client, cause="illness")[1:]] == ["张三丰"]
    assert client.get(START, {"region": factories.OTHER_COUNTY_VILLAGE}).status_code == 404
    client.force_login(users["helper"] if "helper" in users else users["liaison"])
    assert client.get(START).status_code == 403  # a role without the household list


def test_reveal_needs_a_purpose_and_is_logged(client, users):
    household = factories.make_household(head="张三丰")
    head = household.members.get(relation="head")
    client.force_login(users["county"])
    assert client.get(START, {"reveal": "1"}).status_code == 403  # no purpose
    before = AuditEntry.objects.filter(action__startswith="access.").count()
    rows = _download(client, reveal="1", purpose="verify")
    assert rows[1][2] == head.id_number
    assert AuditEntry.objects.filter(action__startswith="access.").count() > before
    client.force_login(users["prefecture"])  # a role that does not work with identifiers
    assert client.get(START, {"reveal": "1", "purpose": "verify"}).status_code == 403


def test_formula_like_text_is_written_as_text(client, users):
    factories.make_household(head="=HYPERLINK(A1)")
    client.force_login(users["county"])
    response = client.get(START)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == "=HYPERLINK(A1)" and cell.data_type == "s" and cell.quotePrefix


def test_unknown_table_and_anonymous(client, users):
    assert client.get(START).status_code == 302  # to the sign-in page
    client.force_login(users["county"])
    assert client.get(reverse("core:export_start", args=["no.such"])).status_code == 404


@pytest.fixture
def background(monkeypatch):
    monkeypatch.setattr(table_exports, "BACKGROUND_ROWS", 1)


def _start(client, django_capture_on_commit_callbacks, **params) -> ExportFile:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(START, params)
    assert response.status_code == 302, response.content[:300]
    return ExportFile.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_large_list_is_written_in_the_background_for_its_requester_alone(
    client, users, background, django_capture_on_commit_callbacks
):
    for name in ("张三丰", "李四", "王五"):
        factories.make_household(head=name)
    client.force_login(users["clerk"])
    export = _start(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == ExportFile.Status.DONE and export.rows_total == 3 and export.rows_done == 3
    page = client.get(reverse("core:export_detail", args=[export.pk])).content.decode()
    assert reverse("core:export_download", args=[export.pk]) in page and "<progress" in page
    assert str(export.title) in client.get(reverse("core:export_list")).content.decode()
    response = client.get(reverse("core:export_download", args=[export.pk]))
    assert [r[1] for r in _rows(b"".join(response.streaming_content))[1:]] == ["张三丰", "李四", "王五"]
    # anyone else, whatever their role or region, meets a 404: the same village's other clerk, the county, an
    # admin
    for other in ("team", "county", "admin", "sibling_clerk"):
        client.force_login(users[other])
        for name in ("core:export_detail", "core:export_progress", "core:export_download"):
            assert client.get(reverse(name, args=[export.pk])).status_code == 404, (other, name)
        assert str(export.title) not in client.get(reverse("core:export_list")).content.decode()


def test_a_second_click_while_queued_answers_the_same_export(client, users, background, monkeypatch):
    for name in ("张三丰", "李四"):
        factories.make_household(head=name)
    client.force_login(users["clerk"])
    first = client.get(START)  # not committed in the test's transaction: the task has not run, it is queued
    second = client.get(START)
    assert first["Location"] == second["Location"] and ExportFile.objects.count() == 1


def test_an_interrupted_export_reads_so_and_a_new_one_starts(
    client, users, background, django_capture_on_commit_callbacks
):
    for name in ("张三丰", "李四"):
        factories.make_household(head=name)
    client.force_login(users["clerk"])
    export = ExportFile.objects.create(
        user=users["clerk"],
        table="registry.households",
        title="贫困户名单",
        params="",
        language="zh-hans",
        status=ExportFile.Status.RUNNING,  # its writer died: nobody holds its lease
        rows_total=2,
        created=timezone.now(),
        expires=timezone.now() + datetime.timedelta(hours=1),
    )
    page = client.get(reverse("core:export_detail", args=[export.pk])).content.decode()
    assert 'data-status="interrupted"' in page
    assert client.get(reverse("core:export_download", args=[export.pk])).status_code == 404
    again = _start(client, django_capture_on_commit_callbacks)
    assert again.pk != export.pk
    again.refresh_from_db()
    assert again.status == ExportFile.Status.DONE


def test_a_failing_writer_leaves_no_file_and_says_so(
    client, users, background, django_capture_on_commit_callbacks, monkeypatch
):
    for name in ("张三丰", "李四"):
        factories.make_household(head=name)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(table_exports.spreadsheets, "write_records", broken)
    client.force_login(users["clerk"])
    export = _start(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == ExportFile.Status.FAILED and export.path == ""
    folder = Path(settings.MEDIA_ROOT) / export_files.FOLDER / str(users["clerk"].pk)
    assert list(folder.iterdir()) == []  # neither a whole nor a partial file
    page = client.get(reverse("core:export_detail", args=[export.pk])).content.decode()
    assert "生成失败" in page


def test_files_expire(client, users, background, django_capture_on_commit_callbacks):
    for name in ("张三丰", "李四"):
        factories.make_household(head=name)
    client.force_login(users["clerk"])
    export = _start(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    path = export_files.file_path(export)
    assert path.exists()
    later = timezone.now() + datetime.timedelta(hours=table_exports.EXPIRE_HOURS, minutes=1)
    ExportFile.objects.filter(pk=export.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(reverse("core:export_download", args=[export.pk])).status_code == 404
    assert export_files.purge_expired(later) == 1
    assert not path.exists() and not ExportFile.objects.filter(pk=export.pk).exists()


def test_national_form_of_a_large_list_goes_to_the_background(
    client, users, background, django_capture_on_commit_callbacks
):
    factories.make_household(head="张三丰", members=3)
    client.force_login(users["clerk"])
    response = client.get(reverse("registry:household_export"), {"status": ""})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:export_start", args=["registry.household_form"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(response["Location"])
    export = ExportFile.objects.get()
    export.refresh_from_db()
    assert export.status == ExportFile.Status.DONE
    content = b"".join(client.get(reverse("core:export_download", args=[export.pk])).streaming_content)
    rows = _rows(content)
    assert len(rows) == 4 and "证件号码" in rows[0]  # one row per member, in the national form's columns


def test_a_plain_tables_cells_go_to_the_writer_as_they_are_with_progress():
    """Issue 18, export speed: a table whose cells are all text or numbers (the national form) is made into
    records without a look at each cell, and still reports its progress and refuses a line of the wrong
    length."""
    table = table_exports.Table(
        name="test.plain",
        title="t",
        columns=[table_exports.Column("甲"), table_exports.Column("乙", number=True)],
        query=lambda user, params: [],
        row=None,
        cells=lambda rows, revealed: rows,
        plain=True,
    )
    lines = [(f"名{i}", i) for i in range(12_001)]
    told: list[int] = []
    records = list(table_exports.records(table, lines, revealed=False, progress=told.append))
    assert records[0] == {"甲": "名0", "乙": 0} and records[-1] == {"甲": "名12000", "乙": 12_000}
    assert len(records) == 12_001 and told == [5000, 10_000, 12_001]
    told.clear()
    assert list(table_exports.records(table, [], revealed=False, progress=told.append)) == [] and told == [0]
    with pytest.raises(ValueError):
        list(table_exports.records(table, [("只有一格",)], revealed=False))
