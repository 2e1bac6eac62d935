"""Sweeps and cross-checks run under leases (issue 16, finding 2): a second worker or a rerun does not run the
same one twice; one whose runner died is marked failed with its reason, then retried or cancelled on the
后台任务 page, within the office's own region only."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.audit.models import AuditEntry
from fupin.core import work
from fupin.monitoring import cross_checks, sweeps
from fupin.monitoring.models import CrossCheck, MonitoringThreshold, Sweep
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def thresholds(db):
    MonitoringThreshold.objects.get_or_create(
        region_prefix="",
        year=2024,
        defaults={"threshold": Decimal("5000"), "unregistered_line": Decimal("4500")},
    )


def _queued_sweep(user) -> Sweep:
    factories.make_household(
        head="边缘户", status=codes.HouseholdStatus.EXITED, exit_year=2020, income="3000.00", year=2024
    )
    return Sweep.objects.create(
        kind=Sweep.Kind.SIGNALS, year=2024, scope_code=user.region_id, started_by=user, rules_total=1
    )


def _queued_check(users) -> CrossCheck:
    own = factories.make_household(head="车主甲")
    head = own.members.get(relation="head")
    text = f"身份证号,姓名,出生日期,车牌号,车辆类型\n{head.id_number},{head.name},,赣B12345,小型轿车\n"
    check = cross_checks.upload_cross_check(
        by=users["liaison"],
        department="vehicle",
        upload=SimpleUploadedFile("车辆.csv", text.encode()),
        county=factories.VILLAGE[:6],
    )
    CrossCheck.objects.filter(pk=check.pk).update(
        status=CrossCheck.Status.QUEUED, run_by=users["county"], scope_code=factories.VILLAGE[:6]
    )
    check.refresh_from_db()
    return check


def test_a_sweep_held_by_another_worker_is_not_run_again(users):
    sweep = _queued_sweep(users["county"])
    with work.Lease("sweep", sweep.pk).acquire():  # another worker has it
        assert sweeps.run_sweep(sweep).status == Sweep.Status.QUEUED
    assert not AuditEntry.objects.filter(action="sweep_done").exists()
    assert sweeps.run_sweep(sweep).status == Sweep.Status.DONE and sweep.results == 1
    again = sweeps.run_sweep(sweep)  # a rerun (the task delivered twice) of one that is done runs nothing
    assert again.status == Sweep.Status.DONE
    assert AuditEntry.objects.filter(action="sweep_done", target_id=str(sweep.pk)).count() == 1


def test_a_dead_sweep_is_marked_failed_then_retried_once_from_the_work_page(client, users):
    sweep = _queued_sweep(users["county"])
    Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.RUNNING)  # its worker died: nobody holds it
    with work.Lease("sweep", sweep.pk).acquire():  # while a live process holds it, it is left alone
        assert work.recover_all() == 0
    assert work.recover_all() == 1
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.FAILED and "筛查进程中断（未写入任何结果）" in sweep.message
    assert AuditEntry.objects.filter(action="sweep_interrupted", target_id=str(sweep.pk)).count() == 1

    client.force_login(users["other_county"])  # another county's office neither sees nor retries it
    assert str(sweep) not in client.get(reverse("core:work")).content.decode()
    client.post(reverse("core:work_action", args=["sweep", sweep.pk, "retry"]))
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.FAILED

    client.force_login(users["county"])
    page = client.get(reverse("core:work")).content.decode()
    assert "规则筛查" in page and "筛查进程中断" in page
    for _ in range(2):  # clicked twice: run once (FUPIN_TASKS=immediate runs it as it is queued)
        client.post(reverse("core:work_action", args=["sweep", sweep.pk, "retry"]))
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.DONE and sweep.results == 1
    assert AuditEntry.objects.filter(action="retry_sweep", target_id=str(sweep.pk)).count() == 1
    assert AuditEntry.objects.filter(action="sweep_done", target_id=str(sweep.pk)).count() == 1


def test_a_running_sweep_cannot_be_cancelled_a_queued_one_can(client, users):
    sweep = _queued_sweep(users["county"])
    client.force_login(users["county"])
    Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.RUNNING)
    with work.Lease("sweep", sweep.pk).acquire():
        client.post(reverse("core:work_action", args=["sweep", sweep.pk, "cancel"]))
        sweep.refresh_from_db()
        assert sweep.status == Sweep.Status.RUNNING  # 正在运行，不能取消
    Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.QUEUED)
    client.post(reverse("core:work_action", args=["sweep", sweep.pk, "cancel"]))
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.FAILED and "取消" in sweep.message
    assert sweeps.run_sweep(sweep).status == Sweep.Status.FAILED  # its queued task then runs nothing


def test_a_cross_check_runs_once_and_a_dead_one_is_failed_with_its_reason(users):
    check = _queued_check(users)
    with work.Lease("crosscheck", check.pk).acquire():
        assert cross_checks.run_cross_check(check).status == CrossCheck.Status.QUEUED
    assert cross_checks.run_cross_check(check).status == CrossCheck.Status.DONE
    assert (
        cross_checks.run_cross_check(check).findings_count == 1
    )  # the rerun ran nothing, raised nothing twice
    assert AuditEntry.objects.filter(action="cross_check_done", target_id=str(check.pk)).count() == 1

    second = _queued_check(users)
    CrossCheck.objects.filter(pk=second.pk).update(status=CrossCheck.Status.RUNNING, progress=40)
    assert work.recover_all() == 1
    second.refresh_from_db()
    assert second.status == CrossCheck.Status.FAILED and "比对进程中断" in second.message
    assert AuditEntry.objects.filter(action="crosscheck_interrupted", target_id=str(second.pk)).exists()
    second = cross_checks.start_cross_check(second, by=users["county"])  # the office runs it again
    second.refresh_from_db()
    assert second.status == CrossCheck.Status.DONE
