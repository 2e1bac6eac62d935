"""Files under MEDIA_ROOT are encrypted at rest (issue 17): an import waiting or kept for a retry, evidence,
photos, error reports, handbook ZIPs and exports hold no readable personal data on disk; they read back whole
through their views; files written before are sealed by `fupin seal-files` (rerunnable) and moved to a new key
by `fupin rotate-keys`; a backup restores them readable."""

import io
import os
import signal
import tempfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from fupin.core import crypto, sealed_files
from fupin.registry.models import ImportJob
from tests import factories
from tests.core.test_rotate_keys import _retire, key_file  # noqa: F401  (fixture)
from tests.core.test_stored_files import KINDS, _signed_in
from tests.registry.import_files import household, write_csv

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def stored_files(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def readable_anywhere(root, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for each needle found in a file under root, as UTF-8 or as GBK bytes."""
    found = []
    for path in stored_files(root):
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data or needle.encode("gbk") in data:
                found.append((str(path), needle))
    return found


@pytest.mark.parametrize(
    "size", [0, 1, sealed_files.CHUNK - 1, sealed_files.CHUNK, 3 * sealed_files.CHUNK + 7]
)
def test_sealed_content_reads_back_whole_and_at_any_position(size):
    data = os.urandom(size)
    sealed = b"".join(sealed_files.seal_chunks([data[i : i + 1000] for i in range(0, size, 1000)]))
    assert sealed.startswith(sealed_files.MAGIC) and (size < 32 or data[:32] not in sealed)
    opened = sealed_files.open_raw(io.BytesIO(sealed))
    assert opened.read() == data
    for at in {0, size // 2, max(size - 3, 0), sealed_files.CHUNK}:
        opened.seek(at)
        assert opened.read(5) == data[at : at + 5]
    assert opened.seek(0, io.SEEK_END) == size


def test_an_altered_moved_or_cut_file_does_not_open():
    data = os.urandom(3 * sealed_files.CHUNK)
    sealed = b"".join(sealed_files.seal_chunks([data]))
    header = len(sealed_files._header(io.BytesIO(sealed))[0])  # then three chunks, the last one full
    altered = bytearray(sealed)
    altered[header + 10] ^= 1
    step = sealed_files.STEP
    swapped = sealed[:header] + sealed[header + step : header + 2 * step] + sealed[header : header + step]
    swapped += sealed[header + 2 * step :]
    cut = sealed[: header + 2 * step]  # whole chunks, the end gone
    for bad in (bytes(altered), swapped, cut):
        with pytest.raises(crypto.CryptoError):
            sealed_files.open_raw(io.BytesIO(bad)).read()


@pytest.mark.django_db
@pytest.mark.parametrize("kind, build, reader, content_type, inline", KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_of_stored_file_is_sealed_on_disk_and_reads_back(
    users, settings, kind, build, reader, content_type, inline
):
    household = factories.make_household(head="本村甲")
    url, stored = build(users, household)
    on_disk = Path(stored.path).read_bytes()
    content = b"".join(_signed_in(users[reader]).get(url).streaming_content)
    assert on_disk.startswith(sealed_files.MAGIC), kind
    assert len(content) > 20 and content[:20] not in on_disk, kind
    assert stored.size == len(content)


@pytest.mark.django_db(transaction=True)
def test_an_imports_id_numbers_are_found_in_no_file_under_media(client, users, settings, tmp_path):
    """The finding: an import waiting for the worker (or failed and kept for a retry) lay on disk as uploaded,
    every ID number and phone readable."""
    settings.TASKS = DATABASE_QUEUE  # the job waits in the queue, its upload on disk
    rows = household("王大山", 联系电话="13907971234") + household("李四海", 联系电话="13907975678")
    numbers = [r["证件号码"] for r in rows] + ["13907971234", "13907975678"]
    path = write_csv(tmp_path / "本村.csv", rows)
    assert all(n.encode() in path.read_bytes() or n.encode("gbk") in path.read_bytes() for n in numbers)
    client.force_login(users["county"])
    response = client.post(
        reverse("registry:import_upload"), {"file": SimpleUploadedFile("本村.csv", path.read_bytes())}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.file and stored_files(settings.MEDIA_ROOT)
    assert readable_anywhere(settings.MEDIA_ROOT, numbers) == []
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)  # the worker reads it whole
    job.refresh_from_db()
    assert job.status == "done" and job.households_created == 2, job.message
    assert readable_anywhere(settings.MEDIA_ROOT, numbers) == []


@pytest.mark.django_db
def test_a_background_export_is_sealed_and_downloads_whole(
    client, users, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from fupin.core import table_exports
    from fupin.core.models import ExportFile

    monkeypatch.setattr(table_exports, "BACKGROUND_ROWS", 0)
    factories.make_household(head="王大山")
    client.force_login(users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("core:export_start", args=["registry.households"]))
    assert response.status_code == 302
    export = ExportFile.objects.get()
    assert export.status == ExportFile.Status.DONE, export.error
    on_disk = (Path(settings.MEDIA_ROOT) / export.path).read_bytes()
    content = b"".join(client.get(reverse("core:export_download", args=[export.pk])).streaming_content)
    assert (
        on_disk.startswith(sealed_files.MAGIC) and content.startswith(b"PK") and content[:30] not in on_disk
    )


@pytest.mark.django_db
def test_seal_files_seals_files_written_before_and_a_rerun_finishes(users, settings, tmp_path):
    from fupin.core.management.commands import seal_files  # noqa: F401  (the command exists)

    root = Path(settings.MEDIA_ROOT)
    plain = {}
    for i in range(5):
        path = root / "changes" / "2025" / f"old-{i}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        plain[path] = b"%PDF-1.4 " + factories.id_number().encode() + os.urandom(200 * i)
        path.write_bytes(plain[path])
    assert sealed_files.pending() == 5
    assert sealed_files.seal_tree(stop_after=2) == 2  # killed after two files
    assert sealed_files.pending() == 3
    with sealed_files.open_path(next(iter(plain))) as opened:  # plain and sealed files both read meanwhile
        assert opened.read() == plain[next(iter(plain))]
    call_command("seal_files", verbosity=0)
    assert sealed_files.pending() == 0
    for path, content in plain.items():
        assert path.read_bytes().startswith(sealed_files.MAGIC) and content not in path.read_bytes()
        with sealed_files.open_path(path) as opened:
            assert opened.read() == content


@pytest.mark.django_db
def test_rotate_keys_moves_files_to_the_new_key_and_they_read_with_the_old_one_retired(
    users,
    key_file,  # noqa: F811
):
    household = factories.make_household(head="本村甲")
    url, stored = KINDS[0][1](users, household)
    before = stored.open("rb").read()
    assert sealed_files.key_of(stored.path) == "k1"
    call_command("rotate_keys", verbosity=0)
    assert crypto.keyring().current == "k2" and sealed_files.key_of(stored.path) == "k2"
    _retire(key_file, "k1")
    assert b"".join(_signed_in(users["township"]).get(url).streaming_content) == before


@pytest.mark.django_db
def test_a_file_that_does_not_decrypt_is_a_404_not_a_server_error(users):
    household = factories.make_household(head="本村甲")
    url, stored = KINDS[0][1](users, household)
    path = Path(stored.path)
    altered = bytearray(path.read_bytes())
    altered[-3] ^= 1
    path.write_bytes(bytes(altered))
    assert _signed_in(users["township"]).get(url).status_code == 404


@pytest.mark.django_db
def test_a_saved_content_file_keeps_its_text(users):
    job = ImportJob.objects.create(user=users["clerk"], scope_code=factories.VILLAGE, original_name="a.csv")
    job.error_file.save("a.csv", ContentFile("行号,错误\n2,有误\n"))
    job.refresh_from_db()
    with job.error_file.open("rb") as fh:
        assert fh.read().decode() == "行号,错误\n2,有误\n"
    assert "行号".encode() not in Path(job.error_file.path).read_bytes()


# the forked child only reads one sealed file (its keys already loaded here) and is killed
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork")
def test_a_plain_copy_for_a_reader_goes_with_its_process_even_one_killed_outright(tmp_path, monkeypatch):
    """A reader that opens files by path (DuckDB, calamine) gets a plain copy of a sealed file; a process
    killed with SIGKILL while it holds one leaves nothing readable in the temporary folder (the named copy it
    used to leave there outlived it)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    sealed = tmp_path / "list.csv"
    secret = "身份证号\n110101199001011234\n".encode()
    sealed_files.write_sealed(sealed, [secret])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: opens the copy, tells where and what it read, and is killed holding it
        try:
            with sealed_files.local_path(sealed, suffix=".csv") as path:
                os.write(write, path.encode() + b"\n" + Path(path).read_bytes())
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)
    os.close(write)
    told = b""
    while piece := os.read(read, 65536):
        told += piece
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    path, content = told.split(b"\n", 1)
    assert content == secret and path.endswith(b".csv")  # read whole, by a path a reader can go by
    assert readable_anywhere(temp, ["110101199001011234"]) == []
