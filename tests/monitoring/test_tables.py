"""The monitoring lists to Excel (issue 18, build item 3): the risk signals (one row per signal of the page's
year) and the look-back campaigns export the page's columns and rows, scoped as the page; another county's
user gets none of them, a role without the monitoring pages is refused as the pages refuse it."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fupin.monitoring import services
from fupin.monitoring.models import RiskSignal, SignalKind
from tests import factories

pytestmark = pytest.mark.django_db


def _export(client, name, **params):
    response = client.get(reverse("core:export_start", args=[name]), params)
    if response.status_code != 200:
        return response.status_code, []
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return 200, [[c.value for c in row] for row in sheet.iter_rows()]


def _signal(household, kind, year=2025):
    return RiskSignal.objects.create(
        household=household,
        village_code=household.village_id,
        year=year,
        kind=kind,
        source_type="income",
        source_id=household.pk,
        source_label="2025年收入",
        value=Decimal("3000"),
        reference=Decimal("4500"),
    )


def test_risk_signals_one_row_per_signal_of_the_pages_year(client, users):
    household = factories.make_household(head="预警户")
    _signal(household, SignalKind.LOW_INCOME)
    _signal(household, SignalKind.LARGE_MEDICAL)
    _signal(household, SignalKind.DISASTER, year=2024)
    client.force_login(users["county"])
    page = client.get(reverse("monitoring:signal_list"), {"year": 2025}).content.decode()
    assert reverse("core:export_start", args=["monitoring.signals"]) in page
    status, rows = _export(client, "monitoring.signals", year=2025)
    assert status == 200 and len(rows) == 3
    assert {r[0] for r in rows[1:]} == {household.number} and rows[1][1] == "预警户"
    assert {r[4] for r in rows[1:]} == {"人均纯收入低于监测线", "大额医疗支出"}
    assert len(_export(client, "monitoring.signals", year=2024)[1]) == 2
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.signals", year=2025)[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "monitoring.signals", year=2025)[0] == 403


def test_lookback_campaigns(client, users):
    services.open_lookback(
        by=users["township"],
        region_code=factories.VILLAGE[:9],
        name="2025年回头看",
        year=2025,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        income_line=Decimal("4500"),
    )
    client.force_login(users["county"])
    page = client.get(reverse("monitoring:lookback_list")).content.decode()
    assert reverse("core:export_start", args=["monitoring.lookbacks"]) in page
    status, rows = _export(client, "monitoring.lookbacks")
    assert status == 200 and len(rows) == 2 and rows[1][0] == "2025年回头看"
    assert Decimal(str(rows[1][4])) == Decimal("4500") and rows[1][2] is not None
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.lookbacks")[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "monitoring.lookbacks")[0] == 403


def test_findings_masked_for_the_user_as_the_page(client, users):
    from fupin.core.templatetags.fupin import text_shown
    from fupin.monitoring.models import Decision, Finding

    household = factories.make_household(head="疑点户")
    number = factories.id_number()
    finding = Finding.objects.create(
        household=household,
        village_code=household.village_id,
        department="vehicle",
        rule="owns_vehicle",
        severity=3,
        detail=f"成员 {number} 名下有登记车辆",
    )
    for role in ("county", "prefecture"):  # works with ID numbers / reads them masked
        client.force_login(users[role])
        page = client.get(reverse("monitoring:finding_list")).content.decode()
        assert reverse("core:export_start", args=["monitoring.findings"]) in page
        status, rows = _export(client, "monitoring.findings")
        assert status == 200 and len(rows) == 2 and rows[1][2] == "疑点户"
        assert rows[1][4] == text_shown(finding.detail, users[role])  # exactly what the page shows this role
        assert (number in rows[1][4]) == (role == "county")
    # the page's filter: opens on the pending ones
    Finding.objects.filter(pk=finding.pk).update(decision=Decision.EXPLAINED)
    assert _export(client, "monitoring.findings")[1][1:] == []
    assert len(_export(client, "monitoring.findings", decision="")[1]) == 2
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.findings", decision="")[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "monitoring.findings")[0] == 403


def test_the_signals_page_says_it_shows_the_first_households_and_the_export_holds_all(
    client, users, monkeypatch
):
    from fupin.monitoring import selectors

    monkeypatch.setattr(selectors, "CANDIDATES_SHOWN", 1)
    for head in ("预警甲", "预警乙"):
        _signal(factories.make_household(head=head), SignalKind.LOW_INCOME)
    client.force_login(users["county"])
    page = client.get(reverse("monitoring:signal_list"), {"year": 2025}).content.decode()
    assert "显示前 1 条，共 2 条；导出包含全部。" in page
    assert len(_export(client, "monitoring.signals", year=2025)[1]) == 3
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:signal_list"), {"year": 2025}).content.decode()
    assert "Showing the first 1 of 2; the export holds them all." in page
    monkeypatch.setattr(selectors, "CANDIDATES_SHOWN", 2)  # all shown: nothing to say
    client.cookies["django_language"] = "zh-hans"
    assert "显示前" not in client.get(reverse("monitoring:signal_list"), {"year": 2025}).content.decode()


def test_the_cross_checks_list(client, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.monitoring import cross_checks

    upload = SimpleUploadedFile("车辆.csv", "身份证号,车牌号\n110101199001011234,京A1\n".encode())
    cross_checks.upload_cross_check(
        by=users["liaison"], department="vehicle", upload=upload, county=factories.VILLAGE[:6]
    )
    client.force_login(users["county"])
    page = client.get(reverse("monitoring:check_list")).content.decode()
    assert reverse("core:export_start", args=["monitoring.checks"]) in page
    status, rows = _export(client, "monitoring.checks")
    assert status == 200 and rows[0][:3] == ["部门", "文件", "行数"]
    assert len(rows) == 2 and rows[1][1] == "车辆.csv" and rows[1][2] == 1 and rows[1][4] == 0
    client.force_login(users["liaison"])  # the liaison's own uploads
    assert _export(client, "monitoring.checks")[1][1][1] == "车辆.csv"
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.checks")[1][1:] == []
    client.force_login(users["clerk"])  # the county's lists are shown to its villages: the export as the page
    assert "车辆.csv" in client.get(reverse("monitoring:check_list")).content.decode()
    assert _export(client, "monitoring.checks")[1][1][1] == "车辆.csv"
    helper = factories.make_user("helper_c", "helper", factories.VILLAGE)
    client.force_login(helper)  # a helper reads no region as a whole: refused, as the page
    assert _export(client, "monitoring.checks")[0] == 403
    assert client.get(reverse("monitoring:check_list")).status_code == 403


def test_a_look_back_s_households_to_check(client, users):
    household = factories.make_household(head="排查户")  # a poor household: one to check
    campaign = services.open_lookback(
        by=users["township"],
        region_code=factories.VILLAGE[:9],
        name="2025年回头看",
        year=2025,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        income_line=Decimal("4500"),
    )
    client.force_login(users["county"])
    page = client.get(reverse("monitoring:lookback_detail", args=[campaign.pk])).content.decode()
    assert (
        reverse("core:export_start", args=["monitoring.lookback_items"]) + f"?lookback={campaign.pk}" in page
    )
    status, rows = _export(client, "monitoring.lookback_items", lookback=campaign.pk)
    assert status == 200 and rows[0] == ["村", "户", "对象", "排查", "未达标项"]
    assert [r[1] for r in rows[1:]] == ["排查户"] and rows[1][0] == household.village.name
    assert rows[1][3] == "未排查" and rows[1][4] is None
    village = _export(client, "monitoring.lookback_items", lookback=campaign.pk, village=factories.VILLAGE)
    assert len(village[1]) == 2
    assert _export(client, "monitoring.lookback_items", lookback=campaign.pk, village="360723")[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.lookback_items", lookback=campaign.pk)[0] == 404
    client.force_login(users["liaison"])
    assert _export(client, "monitoring.lookback_items", lookback=campaign.pk)[0] == 403


def test_one_department_list_s_findings_masked_as_its_page(client, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.monitoring import cross_checks
    from fupin.monitoring.models import Finding

    upload = SimpleUploadedFile("车辆.csv", "身份证号,车牌号\n110101199001011234,京A1\n".encode())
    check = cross_checks.upload_cross_check(
        by=users["liaison"], department="vehicle", upload=upload, county=factories.VILLAGE[:6]
    )
    household = factories.make_household(head="疑点户")
    head = household.members.get(relation="head")
    Finding.objects.create(
        cross_check=check,
        household=household,
        member=head,
        village_code=household.village_id,
        department="vehicle",
        rule="vehicle",
        severity=2,
        detail=f"名下登记车辆 京A1，身份证号 {head.id_number}",
    )
    client.force_login(users["prefecture"])  # a role that sees ID numbers masked
    page = client.get(reverse("monitoring:check_detail", args=[check.pk])).content.decode()
    assert reverse("core:export_start", args=["monitoring.check_findings"]) + f"?check={check.pk}" in page
    status, rows = _export(client, "monitoring.check_findings", check=check.pk)
    assert status == 200 and rows[0] == ["严重程度", "户", "规则", "情况", "核实结论"]
    assert len(rows) == 2 and rows[1][1] == "疑点户" and rows[1][3].startswith("名下登记车辆 京A1")
    assert head.id_number not in str(rows) and head.id_number not in page
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.check_findings", check=check.pk)[0] == 404
    client.force_login(users["liaison"])  # uploads the lists, reads no findings (the page shows none)
    assert _export(client, "monitoring.check_findings", check=check.pk)[0] == 403
