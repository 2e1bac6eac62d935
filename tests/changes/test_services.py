"""Change requests (变更申请): each kind applies, conflicts and stale requests are refused, roles and scope
hold."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from fupin.accounts.scope import ScopeError
from fupin.audit.models import AuditEntry
from fupin.changes import services
from fupin.changes.models import ChangeAction, ChangeKind, ChangeRequest, ChangeStatus
from fupin.registry import codes
from fupin.registry.models import GUARANTEES, Household, IncomeRecord, Member
from fupin.registry.services import apply_key_facts, record_guarantees
from tests import factories

pytestmark = pytest.mark.django_db

NEWBORN = {"name": "张小宝", "relation": codes.Relation.GRANDSON}


def newborn():
    return NEWBORN | {"id_number": factories.id_number(birth=datetime.date(2024, 2, 3))}


def propose(household, by, kind, payload, reason="核实属实", reference="村委会证明"):
    return services.propose(
        household, by=by, kind=kind, payload=payload, reason=reason, evidence_reference=reference
    )


def member(household, relation):
    return household.members.get(relation=relation)


@pytest.fixture
def household(users):
    return factories.make_household(members=3)


# ---------------------------------------------------------------- each kind applies


def test_member_joins_on_approval_with_size_and_audit_naming_the_request(users, household):
    request = propose(
        household, users["clerk"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": newborn()}
    )
    assert household.members.count() == 3  # nothing changes before the review
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    assert household.size == 4
    baby = household.members.get(name="张小宝")
    assert baby.sex == "M" and baby.birth_date == datetime.date(2024, 2, 3)  # read from the ID number
    entry = AuditEntry.objects.get(action="add_member", target_id=str(baby.pk))
    assert entry.changes["change_request"][1].startswith(f"#{request.pk}")
    assert entry.changes["join_cause"] == [None, "出生"]
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.APPROVED


def test_member_join_checks_the_id_number_with_the_registrys_rules(users, household):
    with pytest.raises(services.ChangeError) as e:
        propose(
            household,
            users["clerk"],
            ChangeKind.MEMBER_JOIN,
            {"cause": "born", "member": NEWBORN | {"id_number": "360722202402030000"}},
        )
    assert "id_number" in e.value.errors
    taken = member(household, codes.Relation.HEAD).id_number
    with pytest.raises(services.ChangeError) as e:
        propose(
            household,
            users["clerk"],
            ChangeKind.MEMBER_JOIN,
            {"cause": "born", "member": NEWBORN | {"id_number": taken}},
        )
    assert "一人只能在一户" in e.value.errors["id_number"]
    assert not ChangeRequest.objects.exists()


def test_member_leaves_and_a_head_leaving_names_the_new_head(users, household):
    head = member(household, codes.Relation.HEAD)
    son = household.members.exclude(pk=head.pk).first()
    with pytest.raises(services.ChangeError) as e:
        propose(household, users["clerk"], ChangeKind.MEMBER_LEAVE, {"cause": "died", "member_id": head.pk})
    assert "new_head_id" in e.value.errors
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_LEAVE,
        {"cause": "died", "member_id": head.pk, "new_head_id": son.pk},
    )
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    assert household.size == 2 and household.head_name == son.name
    assert not Member.objects.filter(pk=head.pk).exists()
    assert AuditEntry.objects.get(action="remove_member", target_id=str(head.pk)).changes["reason"] == [
        None,
        "死亡",
    ]


def test_change_of_head(users, household):
    head = member(household, codes.Relation.HEAD)
    son = household.members.exclude(pk=head.pk).first()
    request = propose(
        household,
        users["team"],
        ChangeKind.CHANGE_HEAD,
        {"new_head_id": son.pk, "former_head_relation": codes.Relation.FATHER},
    )
    services.approve(request, by=users["county"])
    head.refresh_from_db()
    household.refresh_from_db()
    assert head.relation == codes.Relation.FATHER and household.head_name == son.name


def test_move_member_to_another_household(users, household):
    other = factories.make_household(head="李四", members=1)
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MOVE_MEMBER,
        {"member_id": son.pk, "target_household_id": other.pk, "relation": codes.Relation.SON_IN_LAW},
    )
    services.approve(request, by=users["township"])
    son.refresh_from_db()
    household.refresh_from_db()
    other.refresh_from_db()
    assert son.household_id == other.pk and son.relation == codes.Relation.SON_IN_LAW
    assert (household.size, other.size) == (2, 2)


def test_split_household_makes_a_new_household(users, household):
    sons = list(household.members.exclude(relation=codes.Relation.HEAD).order_by("pk"))
    request = propose(
        household,
        users["clerk"],
        ChangeKind.SPLIT_HOUSEHOLD,
        {"relations": {str(sons[0].pk): codes.Relation.HEAD, str(sons[1].pk): codes.Relation.SIBLING}},
    )
    request = services.approve(request, by=users["township"])
    new = request.created_household
    assert new is not None and new.village_id == household.village_id and new.number != household.number
    new.refresh_from_db()
    household.refresh_from_db()
    assert (household.size, new.size) == (1, 2)
    assert new.head_name == sons[0].name and new.status == household.status


def test_split_must_leave_the_head_and_name_one_new_head(users, household):
    head = member(household, codes.Relation.HEAD)
    son = household.members.exclude(pk=head.pk).first()
    for relations in ({str(son.pk): codes.Relation.SON}, {str(head.pk): codes.Relation.HEAD}):
        with pytest.raises(services.ChangeError):
            propose(household, users["clerk"], ChangeKind.SPLIT_HOUSEHOLD, {"relations": relations})


def test_merge_households_moves_members_and_removes_the_other(users, household):
    other = factories.make_household(head="李四", members=2)
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MERGE_HOUSEHOLDS,
        {"other_household_id": other.pk, "absorbed_head_relation": codes.Relation.SON_IN_LAW},
    )
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    other.refresh_from_db()
    assert household.size == 5 and other.size == 0
    assert other.status == codes.HouseholdStatus.REMOVED
    assert household.members.filter(relation=codes.Relation.HEAD).count() == 1


def test_type_change(users, household):
    request = propose(
        household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": codes.HouseholdType.DIBAO_POOR}
    )
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    assert household.household_type == codes.HouseholdType.DIBAO_POOR
    assert AuditEntry.objects.filter(action="change_request", household=household).exists()


def test_status_correction_to_removed(users, household):
    request = propose(
        household,
        users["clerk"],
        ChangeKind.STATUS_CORRECTION,
        {"status": codes.HouseholdStatus.REMOVED, "registration_year": 2016, "exit_year": None},
        reason="经核实为错评户，予以清退",
    )
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    assert household.status == codes.HouseholdStatus.REMOVED


def test_status_correction_is_checked_like_the_registry(users, household):
    with pytest.raises(services.ChangeError) as e:
        propose(
            household,
            users["clerk"],
            ChangeKind.STATUS_CORRECTION,
            {"status": codes.HouseholdStatus.EXITED, "registration_year": 2016, "exit_year": None},
        )
    assert "exit_year" in e.value.errors


def test_income_correction_recomputes_per_capita_and_latest(users, household):
    request = propose(
        household,
        users["clerk"],
        ChangeKind.INCOME_CORRECTION,
        {"year": 2025, "wages": "12000.00", "production": "3000", "productive_expenditure": "1000"},
    )
    services.approve(request, by=users["township"])
    income = IncomeRecord.objects.get(household=household, year=2025)
    household.refresh_from_db()
    assert income.per_capita_net_income == Decimal("4666.67")  # (12000 + 3000 − 1000) ÷ 3
    assert household.latest_income == Decimal("4666.67")


def test_income_correction_needs_a_recorded_year(users, household):
    with pytest.raises(services.ChangeError) as e:
        propose(household, users["clerk"], ChangeKind.INCOME_CORRECTION, {"year": 2019, "wages": "1"})
    assert "year" in e.value.errors


# ---------------------------------------------------------------- reason, evidence


def test_reason_and_evidence_are_required(users, household):
    with pytest.raises(services.ChangeError) as e:
        propose(
            household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"}, reason=" "
        )
    assert "reason" in e.value.errors
    with pytest.raises(services.ChangeError) as e:
        propose(
            household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"}, reference=""
        )
    assert "evidence" in e.value.errors


def test_evidence_files_are_judged_by_content(users, household):
    fake = SimpleUploadedFile("证明.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    with pytest.raises(services.ChangeError) as e:
        services.propose(
            household,
            by=users["clerk"],
            kind=ChangeKind.TYPE_CHANGE,
            payload={"household_type": "dibao_poor"},
            reason="低保认定",
            files=[fake],
        )
    assert "不是有效的图片或 PDF" in e.value.errors["evidence"]
    pdf = SimpleUploadedFile(
        "证明.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="text/html"
    )
    request = services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": "dibao_poor"},
        reason="低保认定",
        files=[pdf],
    )
    evidence = request.evidence.get()
    assert evidence.content_type == "application/pdf" and evidence.name == "证明.pdf"
    assert evidence.file.name.endswith(".pdf")


# ---------------------------------------------------------------- conflicts and stale requests


def test_second_open_request_on_the_same_household_is_refused_naming_the_first(users, household):
    first = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(services.ChangeConflict) as e:
        propose(household, users["team"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": newborn()})
    assert f"#{first.pk}" in str(e.value)
    services.withdraw(first, by=users["clerk"])
    propose(household, users["team"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": newborn()})


def test_a_move_conflicts_with_an_open_request_on_the_target_household(users, household):
    other = factories.make_household(head="李四", members=1)
    first = propose(other, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    with pytest.raises(services.ChangeConflict) as e:
        propose(
            household,
            users["clerk"],
            ChangeKind.MOVE_MEMBER,
            {"member_id": son.pk, "target_household_id": other.pk, "relation": codes.Relation.SON},
        )
    assert f"#{first.pk}" in str(e.value)


def test_the_same_new_id_number_in_two_households_conflicts(users, household):
    other = factories.make_household(head="李四", members=1)
    baby = newborn()
    first = propose(household, users["clerk"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": baby})
    with pytest.raises(services.ChangeConflict) as e:
        propose(other, users["clerk"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": baby})
    assert f"#{first.pk}" in str(e.value)


def test_approval_refuses_a_request_whose_household_changed_since(users, household):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    # the household changes meanwhile by another route (a procedure step)
    apply_key_facts(household, by=users["county"], action="change_request", exit_year=2024, status="exited")
    with pytest.raises(services.ChangeError) as e:
        services.approve(request, by=users["township"])
    assert "已有变动" in str(e.value)
    household.refresh_from_db()
    assert household.household_type == codes.HouseholdType.GENERAL_POOR
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PROPOSED


def test_approval_refuses_an_income_correction_whose_income_changed_since(users, household):
    request = propose(
        household, users["clerk"], ChangeKind.INCOME_CORRECTION, {"year": 2025, "wages": "9000"}
    )
    IncomeRecord.objects.filter(household=household, year=2025).update(wages=Decimal("1"))
    with pytest.raises(services.ChangeError) as e:
        services.approve(request, by=users["township"])
    assert "收入" in str(e.value)


def test_applying_is_all_or_nothing(users, household, monkeypatch):
    head = member(household, codes.Relation.HEAD)
    son = household.members.exclude(pk=head.pk).first()
    request = propose(
        household,
        users["clerk"],
        ChangeKind.CHANGE_HEAD,
        {"new_head_id": son.pk, "former_head_relation": codes.Relation.FATHER},
    )
    from fupin.changes import kinds

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(kinds, "refresh_household_summary", fail)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError):
        services.approve(request, by=users["township"])
    head.refresh_from_db()
    assert head.relation == codes.Relation.HEAD  # the first write of the change was rolled back
    assert AuditEntry.objects.count() == audit_before
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PROPOSED


def test_audit_entries_are_written_in_the_applying_transaction(users, household):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.approve(request, by=users["township"])
            assert AuditEntry.objects.filter(action="approve_change", target_id=str(request.pk)).exists()
            raise RuntimeError("rolled back")
    assert not AuditEntry.objects.filter(action="approve_change").exists()
    household.refresh_from_db()
    assert household.household_type == codes.HouseholdType.GENERAL_POOR


# ---------------------------------------------------------------- the flow, roles and scope


def test_return_resubmit_approve_keeps_the_history(users, household):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao"})
    with pytest.raises(services.ChangeError):
        services.return_request(request, by=users["township"], comment="")
    services.return_request(request, by=users["township"], comment="低保户不属于贫困户属性的更正，请核实")
    with pytest.raises(services.ChangeError):
        services.approve(request, by=users["township"])  # a returned request is the village's again
    services.resubmit(
        request,
        by=users["team"],
        payload={"household_type": "dibao_poor"},
        reason="已核实为低保贫困户",
        evidence_reference="民政局低保认定表",
    )
    services.approve(request, by=users["township"])
    actions = list(ChangeAction.objects.filter(change_request=request).values_list("action", flat=True))
    assert actions == ["propose", "return", "resubmit", "approve"]
    with pytest.raises(services.ChangeError):
        services.withdraw(request, by=users["clerk"])  # approved is final


def test_the_proposer_can_never_approve_their_own(users, household):
    admin = users["admin"]
    request = propose(household, admin, ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(PermissionDenied, match="自己提出"):
        services.approve(request, by=admin)
    with pytest.raises(PermissionDenied, match="自己提出"):
        services.return_request(request, by=admin, comment="x")


def test_village_roles_cannot_review_and_reviewers_cannot_propose(users, household):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(PermissionDenied):
        services.approve(request, by=users["team"])
    with pytest.raises(PermissionDenied):
        propose(household, users["township"], ChangeKind.MEMBER_JOIN, {"cause": "born", "member": newborn()})


@pytest.mark.parametrize("role", ["prefecture", "province"])
def test_read_only_roles_never_act(users, household, role):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    for act in (
        lambda: services.approve(request, by=users[role]),
        lambda: services.return_request(request, by=users[role], comment="x"),
        lambda: services.withdraw(request, by=users[role]),
        lambda: propose(household, users[role], ChangeKind.TYPE_CHANGE, {"household_type": "dibao"}),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PROPOSED


@pytest.mark.parametrize("role", ["other_township", "other_county"])
def test_another_township_or_county_cannot_review(users, household, role):
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(ScopeError):
        services.approve(request, by=users[role])


def test_another_village_cannot_propose_or_withdraw(users, household):
    with pytest.raises(ScopeError):
        propose(household, users["sibling_clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    request = propose(household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": "dibao_poor"})
    with pytest.raises(ScopeError):
        services.withdraw(request, by=users["sibling_clerk"])


def test_a_move_to_a_household_outside_the_village_is_refused(users, household):
    outside = factories.make_household(factories.SIBLING_VILLAGE, head="王五", members=1)
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    with pytest.raises(services.ChangeError) as e:
        propose(
            household,
            users["clerk"],
            ChangeKind.MOVE_MEMBER,
            {"member_id": son.pk, "target_household_id": outside.pk, "relation": codes.Relation.SON},
        )
    assert "target_household_id" in e.value.errors
    assert Household.objects.get(pk=outside.pk).size == 1


def valid_payload(kind, household, other):
    head = member(household, codes.Relation.HEAD)
    son = household.members.exclude(pk=head.pk).order_by("pk").first()
    if kind == ChangeKind.GUARANTEE_CORRECTION:
        record_guarantees(
            household,
            by=factories.admin_user(),
            year=2025,
            checked_on=datetime.date(2025, 11, 2),
            items={g: True for g in GUARANTEES},
        )
    return {
        ChangeKind.MEMBER_JOIN: {"cause": "born", "member": newborn()},
        ChangeKind.MEMBER_LEAVE: {"cause": "moved_out", "member_id": son.pk},
        ChangeKind.CHANGE_HEAD: {"new_head_id": son.pk, "former_head_relation": codes.Relation.FATHER},
        ChangeKind.MOVE_MEMBER: {
            "member_id": son.pk,
            "target_household_id": other.pk,
            "relation": codes.Relation.SON,
        },
        ChangeKind.SPLIT_HOUSEHOLD: {"relations": {str(son.pk): codes.Relation.HEAD}},
        ChangeKind.MERGE_HOUSEHOLDS: {
            "other_household_id": other.pk,
            "absorbed_head_relation": codes.Relation.SIBLING,
        },
        ChangeKind.TYPE_CHANGE: {"household_type": codes.HouseholdType.WUBAO},
        ChangeKind.STATUS_CORRECTION: {
            "status": codes.HouseholdStatus.REMOVED,
            "registration_year": 2016,
            "exit_year": None,
        },
        ChangeKind.INCOME_CORRECTION: {"year": 2025, "wages": "1000"},
        ChangeKind.MEMBER_IDENTITY: {"member_id": son.pk, "id_number": son.id_number, "name": "张秀英"},
        ChangeKind.GUARANTEE_CORRECTION: {
            "year": 2025,
            "items": {"water": False},
            "notes": {"water": "水源枯竭"},
        },
    }[kind]


@pytest.mark.parametrize("kind", ChangeKind.values)
def test_every_kind_conflicts_with_an_open_request_on_its_household_and_applies_alone(users, household, kind):
    other = factories.make_household(head="李四", members=2)
    first = propose(
        household, users["clerk"], ChangeKind.TYPE_CHANGE, {"household_type": codes.HouseholdType.DIBAO_POOR}
    )
    with pytest.raises(services.ChangeConflict, match=f"#{first.pk}"):
        propose(household, users["team"], kind, valid_payload(kind, household, other))
    services.withdraw(first, by=users["clerk"])
    audit_before = AuditEntry.objects.count()
    request = services.approve(
        propose(household, users["team"], kind, valid_payload(kind, household, other)), by=users["township"]
    )
    assert request.status == ChangeStatus.APPROVED
    assert AuditEntry.objects.count() >= audit_before + 3  # proposed, applied, approved
    household.refresh_from_db()
    assert household.size == household.members.count()  # the derived size kept with the rows
