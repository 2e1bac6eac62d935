"""Cross-checks match only members holding a consent in force for the department's data (电子授权书, issue 17
item 3); the others are counted as 未授权 in the run's summary and get no finding. Lists that are not economic
data (deaths, schooling, medical insurance, disability) need none."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from fupin.monitoring import cross_checks
from fupin.monitoring.models import CrossCheck, Finding, MonitoringThreshold
from fupin.registry.models import Consent, Member
from tests import factories


@pytest.fixture(autouse=True)
def thresholds(db):
    MonitoringThreshold.objects.get_or_create(
        region_prefix="",
        year=2020,
        defaults={"threshold": Decimal("5000"), "unregistered_line": Decimal("4500")},
    )


@pytest.fixture
def registry(users):
    signed = factories.make_household(head="授权甲", members=2)
    unsigned = factories.make_household(head="未签乙", members=2, consent=False)
    withdrawn = factories.make_household(head="撤回丙", members=1)
    Consent.objects.filter(household=withdrawn).update(
        withdrawn_at=timezone.now(), withdraw_reason="本人撤回"
    )
    other_scope = factories.make_household(head="车辆丁", members=1, consent=False)
    factories.give_consent(other_scope, vehicle=True)
    return {"signed": signed, "unsigned": unsigned, "withdrawn": withdrawn, "other_scope": other_scope}


def run(users, department, text):
    check = cross_checks.upload_cross_check(
        by=users["county"], department=department, upload=SimpleUploadedFile("名单.csv", text.encode("utf-8"))
    )
    cross_checks.start_cross_check(check, by=users["county"])
    check.refresh_from_db()
    assert check.status == CrossCheck.Status.DONE, check.message
    return check


def every_member_list(header: str, row: str) -> str:
    return header + "".join(f"{m.id_number},{row}\n" for m in Member.objects.all())


@pytest.mark.django_db(transaction=True)
def test_members_without_a_consent_for_the_data_are_not_matched_and_are_counted(users, registry):
    check = run(users, "tax", every_member_list("身份证号,税额\n", "1200"))
    matched = set(Finding.objects.filter(cross_check=check).values_list("member_id", flat=True))
    assert matched == set(registry["signed"].members.values_list("pk", flat=True))
    assert check.matched_members == 2
    assert check.unauthorised_members == 2 + 1 + 1  # unsigned, withdrawn, vehicles only


@pytest.mark.django_db(transaction=True)
def test_a_consent_for_the_departments_data_is_enough(users, registry):
    check = run(users, "vehicle", every_member_list("身份证号,车牌号,车辆类型\n", "赣B1,小型轿车"))
    households = set(Finding.objects.filter(cross_check=check).values_list("household_id", flat=True))
    assert households == {registry["signed"].pk, registry["other_scope"].pk}
    assert check.unauthorised_members == 3


@pytest.mark.django_db(transaction=True)
def test_lists_that_are_not_economic_data_need_no_consent(users, registry):
    check = run(users, "death", every_member_list("身份证号,注销日期\n", "2024-01-01"))
    assert check.matched_members == Member.objects.count() and check.unauthorised_members == 0


@pytest.mark.django_db(transaction=True)
def test_the_summary_page_and_the_command_say_how_many_were_not_authorised(users, registry, client, tmp_path):
    check = run(users, "tax", every_member_list("身份证号,税额\n", "1200"))
    client.force_login(users["county"])
    page = client.get(f"/monitoring/checks/{check.pk}/").content.decode()
    assert "未授权 4 人" in page
    listing = tmp_path / "tax.csv"
    listing.write_text(every_member_list("身份证号,税额\n", "1"), encoding="utf-8")
    from io import StringIO

    out = StringIO()
    call_command("cross_check", str(listing), department="tax", stdout=out)
    assert "未授权 4 人" in out.getvalue()
