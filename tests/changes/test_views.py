"""Change request pages: propose (kind by kind, Chinese field errors), detail with before → after, review, the
queue, the household page's section, evidence files; scope and roles through HTTP."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.changes import services
from fupin.changes.models import ChangeKind, ChangeRequest, ChangeStatus
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(users):
    return factories.make_household(members=3)


def login(client, user):
    client.force_login(user)
    return client


def propose_url(household, kind=""):
    return f"{reverse('changes:propose')}?household={household.pk}" + (f"&kind={kind}" if kind else "")


def open_request(household, users, **payload):
    return services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload=payload or {"household_type": "dibao_poor"},
        reason="低保认定",
        evidence_reference="民政认定表",
    )


def test_the_propose_page_offers_every_kind_then_the_kinds_form(client, users, household):
    login(client, users["clerk"])
    page = client.get(propose_url(household)).content.decode()
    for label in (
        "增员",
        "减员",
        "变更户主",
        "成员转户",
        "分户",
        "合户",
        "贫困户属性变更",
        "户状态更正",
        "收入更正",
    ):
        assert label in page
    form = client.get(propose_url(household, "member_leave")).content.decode()
    assert 'name="member_id"' in form and 'name="reason"' in form and 'enctype="multipart/form-data"' in form
    assert "<script>" not in form and " onclick=" not in form


def test_a_clerk_proposes_a_member_leaving_and_sees_it(client, users, household):
    login(client, users["clerk"])
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    photo = SimpleUploadedFile("death.png", _png(), content_type="image/png")
    response = client.post(
        propose_url(household, "member_leave"),
        {
            "member_id": son.pk,
            "cause": "died",
            "reason": "2025年3月病故",
            "evidence_reference": "",
            "evidence": photo,
        },
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("changes:detail", args=[change.pk])
    page = client.get(response["Location"]).content.decode()
    assert "死亡" in page and son.name in page and "待审核" in page and "death.png" in page
    evidence = change.evidence.get()
    file = client.get(reverse("changes:evidence", args=[evidence.pk]))
    assert file["Content-Type"] == "image/png" and "sandbox" in file["Content-Security-Policy"]


def test_the_form_shows_chinese_errors_and_the_services_refusals(client, users, household):
    login(client, users["clerk"])
    page = client.post(
        propose_url(household, "member_join"),
        {"cause": "born", "name": "张小宝", "id_number": "123", "relation": "grandson", "reason": ""},
    ).content.decode()
    assert "请填写变更原因" in page and "身份证号" in page
    assert not ChangeRequest.objects.exists()
    page = client.post(
        propose_url(household, "type_change"), {"household_type": "dibao_poor", "reason": "认定"}
    ).content.decode()
    assert "请上传佐证材料" in page  # the service's refusal, on the page


def test_a_conflicting_proposal_is_refused_naming_the_first(client, users, household):
    first = open_request(household, users)
    login(client, users["team"])
    page = client.post(
        propose_url(household, "status_correction"),
        {
            "status": "removed",
            "registration_year": 2016,
            "reason": "错评",
            "evidence_reference": "核查记录",
        },
    ).content.decode()
    assert f"#{first.pk}" in page and ChangeRequest.objects.count() == 1


def test_the_township_approves_and_the_household_changes(client, users, household):
    change = open_request(household, users)
    login(client, users["township"])
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert "批准并生效" in page and "一般贫困户" in page and "低保贫困户" in page
    response = client.post(reverse("changes:approve", args=[change.pk]), {"comment": "同意"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.household_type == "dibao_poor"
    assert "已批准并生效" in client.get(reverse("changes:detail", args=[change.pk])).content.decode()


def test_returning_needs_a_comment_and_the_village_revises(client, users, household):
    change = open_request(household, users)
    login(client, users["township"])
    client.post(reverse("changes:return", args=[change.pk]), {"comment": ""})
    assert ChangeRequest.objects.get().status == ChangeStatus.PROPOSED
    client.post(reverse("changes:return", args=[change.pk]), {"comment": "请补充低保证"})
    assert ChangeRequest.objects.get().status == ChangeStatus.RETURNED
    login(client, users["clerk"])
    form = client.get(reverse("changes:revise", args=[change.pk])).content.decode()
    assert "请补充低保证" in form
    client.post(
        reverse("changes:revise", args=[change.pk]),
        {"household_type": "dibao_poor", "reason": "已补充", "evidence_reference": "低保证 2025-001"},
    )
    assert ChangeRequest.objects.get().status == ChangeStatus.PROPOSED


def test_no_review_buttons_for_the_proposer_or_read_only_roles(client, users, household):
    change = open_request(household, users)
    for role in ("clerk", "prefecture", "province"):
        login(client, users[role])
        page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
        assert "批准并生效" not in page
        assert client.post(reverse("changes:approve", args=[change.pk])).status_code == 403
    assert ChangeRequest.objects.get().status == ChangeStatus.PROPOSED


@pytest.mark.parametrize("role", ["prefecture", "province", "township", "county"])
def test_only_village_roles_reach_the_propose_form(client, users, household, role):
    login(client, users[role])
    assert client.get(propose_url(household, "type_change")).status_code == 403


@pytest.mark.parametrize("role", ["sibling_clerk", "other_township", "other_county"])
def test_outside_the_region_everything_is_not_found(client, users, household, role):
    change = open_request(household, users)
    login(client, users[role])
    for url in (
        reverse("changes:detail", args=[change.pk]),
        propose_url(household, "type_change"),
        reverse("changes:household_section", args=[household.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("changes:approve", args=[change.pk])).status_code == 404
    assert ChangeRequest.objects.get().status == ChangeStatus.PROPOSED
    assert f"#{change.pk}" not in client.get(reverse("changes:queue")).content.decode()


def test_the_queue_lists_pending_first_with_filters(client, users, household):
    done = open_request(household, users)
    services.withdraw(done, by=users["clerk"])
    pending = open_request(household, users)
    login(client, users["township"])
    page = client.get(reverse("changes:queue")).content.decode()
    assert page.index(f"#{pending.pk}") < page.index(f"#{done.pk}")
    page = client.get(reverse("changes:queue") + "?status=withdrawn").content.decode()
    assert f"#{done.pk}" in page and f"#{pending.pk}<" not in page
    assert client.get(reverse("changes:queue") + "?status=bogus&kind=%00").status_code == 200


def test_the_nav_shows_the_review_queue_to_the_township(client, users, household):
    login(client, users["township"])
    assert (
        "变更审核" in client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    )
    login(client, users["clerk"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert (
        "变更审核" not in page and f'href="{reverse("changes:queue")}"' in page
    )  # the village finds its own requests
    login(client, users["province"])
    assert (
        f'href="{reverse("changes:queue")}"'
        not in client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    )


def test_the_household_section_lists_requests_and_offers_the_button_to_the_village(client, users, household):
    change = open_request(household, users)
    url = reverse("changes:household_section", args=[household.pk])
    login(client, users["clerk"])
    section = client.get(url).content.decode()
    assert f"#{change.pk}" in section and "待审核" in section and "提出变更申请" in section
    login(client, users["prefecture"])
    section = client.get(url).content.decode()
    assert f"#{change.pk}" in section and "提出变更申请" not in section
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert url in page  # the household page loads the section


def test_the_household_section_s_link_opens_a_whole_page_and_htmx_gets_the_fragment(client, users, household):
    """Issue 18 (the phone crawl): the section's fallback link opened the bare fragment, no layout and no
    viewport, 980 px wide on a 390 px phone."""
    open_request(household, users)
    url = reverse("changes:household_section", args=[household.pk])
    login(client, users["clerk"])
    page = client.get(url).content.decode()
    assert 'name="viewport"' in page and "<h1>" in page and 'id="change-requests"' in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="change-requests">') and "<html" not in fragment


def test_bad_input_never_errors(client, users, household):
    login(client, users["clerk"])
    for url in (
        f"{reverse('changes:propose')}?household=x",
        f"{reverse('changes:propose')}?household=99999999999999999999",
        propose_url(household, "nope"),
        reverse("changes:detail", args=[999999]),
    ):
        assert client.get(url).status_code in (200, 404)
    response = client.post(propose_url(household, "split_household"), {"m1": "bogus", "reason": "x"})
    assert response.status_code == 200
    response = client.post(
        propose_url(household, "move_member"),
        {"member_id": "1", "target_number": "nope", "relation": "son", "reason": "x"},
    )
    assert "没有找到户编号" in response.content.decode()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def test_a_member_join_through_the_page_reads_the_birth_date_from_the_id(client, users, household):
    login(client, users["clerk"])
    number = factories.id_number(birth=datetime.date(2025, 1, 9), sex="F")
    response = client.post(
        propose_url(household, "member_join"),
        {
            "cause": "born",
            "name": "张小妹",
            "id_number": number,
            "relation": "granddaughter",
            "ethnicity": "01",
            "political_status": "masses",
            "schooling": "none",
            "health": "healthy",
            "work_status": "not_working",
            "work_months": 0,
            "reason": "新生儿",
            "evidence_reference": "出生医学证明",
        },
    )
    assert response.status_code == 302, response.content.decode()
    change = ChangeRequest.objects.get()
    services.approve(change, by=users["township"])
    member = household.members.get(name="张小妹")
    assert member.birth_date == datetime.date(2025, 1, 9) and member.sex == "F"


def test_the_household_trail_names_the_request_in_words(client, users, household):
    change = open_request(household, users)
    services.approve(change, by=users["township"])
    login(client, users["clerk"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    for words in ("提出变更申请", "批准变更申请", "变更原因", f"#{change.pk} 贫困户属性变更"):
        assert words in page
    assert "dibao_poor&#x27;}" not in page and "'household_type'" not in page  # the payload is not dumped raw


def test_the_queue_narrows_to_one_household_and_stays_in_scope(client, users, household):
    other = factories.make_household(head="李四", members=1)
    mine = open_request(household, users)
    theirs = open_request(other, users)
    login(client, users["township"])
    page = client.get(reverse("changes:queue") + f"?household={household.pk}").content.decode()
    assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" not in page
    login(client, users["other_township"])
    assert client.get(reverse("changes:queue") + f"?household={household.pk}").status_code == 404
    assert client.get(reverse("changes:queue") + "?household=abc").status_code == 404


def test_the_pages_read_in_a_fixed_number_of_queries(client, users, household, django_assert_max_num_queries):
    for i in range(6):
        h = factories.make_household(head=f"王{i}", members=1)
        open_request(h, users)
    change = open_request(household, users)
    login(client, users["township"])
    client.get(reverse("changes:queue"))  # warm the session and the user
    # seven requests on the page: a query per row would break these bounds
    with django_assert_max_num_queries(6):
        assert client.get(reverse("changes:queue")).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reverse("changes:detail", args=[change.pk])).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(reverse("changes:household_section", args=[household.pk])).status_code == 200


@pytest.mark.parametrize("kind", [k for k, _label in ChangeKind.choices])
def test_every_kinds_form_renders_and_refuses_junk_with_messages(client, users, household, kind):
    login(client, users["clerk"])
    assert client.get(propose_url(household, kind)).status_code == 200
    junk = {
        name: "x" * 3000
        for name in (
            "cause",
            "member_id",
            "new_head_id",
            "former_head_relation",
            "target_number",
            "relation",
            "other_number",
            "absorbed_head_relation",
            "household_type",
            "status",
            "registration_year",
            "exit_year",
            "year",
            "wages",
            "household_size",
            "name",
            "id_number",
            "reason",
            "evidence_reference",
            "m1",
            "work_months",
        )
    }
    response = client.post(propose_url(household, kind), junk)
    assert response.status_code == 200 and "errorsummary" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_a_returned_move_reopens_with_the_target_households_number(client, users, household):
    other = factories.make_household(head="李四", members=1)
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    change = services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.MOVE_MEMBER,
        reason="婚迁",
        payload={"member_id": son.pk, "target_household_id": other.pk, "relation": "son_in_law"},
        evidence_reference="结婚证",
    )
    services.return_request(change, by=users["township"], comment="关系填错")
    login(client, users["clerk"])
    form = client.get(reverse("changes:revise", args=[change.pk])).content.decode()
    assert f'value="{other.number}"' in form and "关系填错" in form


def test_evidence_files_are_read_only_in_scope(client, users, household):
    pdf = SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    change = services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": "dibao_poor"},
        reason="低保认定",
        files=[pdf],
    )
    url = reverse("changes:evidence", args=[change.evidence.get().pk])
    login(client, users["sibling_clerk"])
    assert client.get(url).status_code == 404
    login(client, users["province"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_the_village_adds_evidence_to_an_open_request_not_a_closed_one(client, users, household):
    change = open_request(household, users)
    login(client, users["team"])
    pdf = SimpleUploadedFile("补充.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(reverse("changes:add_evidence", args=[change.pk]), {"evidence": pdf})
    assert change.evidence.get().name == "补充.pdf"
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert "补充佐证材料" in page and "补充.pdf" in page
    services.withdraw(change, by=users["clerk"])
    late = SimpleUploadedFile("迟到.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(reverse("changes:add_evidence", args=[change.pk]), {"evidence": late}, follow=True)
    assert "已办结" in response.content.decode() and change.evidence.count() == 1
