import re

import pytest
from django.core import signing
from django.urls import reverse

from fupin.declarations import cases, public
from fupin.declarations.models import Declaration, Status
from fupin.declarations.selectors import declarations_for
from tests import factories

from .conftest import PHONE, declare
from .test_services import jpeg

pytestmark = pytest.mark.django_db


def village_url(code=factories.VILLAGE):
    return reverse("declare:village", args=[public.village_token(code)])


def form(**overrides):
    return {
        "name": "李四",
        "id_number": factories.id_number(),
        "phone": PHONE,
        "hardship": "illness",
        "description": "老人住院",
        "consent": "on",
        **overrides,
    }


def test_a_household_declares_from_the_poster_and_checks_its_status(client, tree, outbox):
    url = village_url()
    page = client.get(url)
    assert page.status_code == 200 and "南山居委会" in page.content.decode()
    values = form()
    sent = client.post(url, {**values, "action": "code"})
    assert "验证码已发到 138****8000" in sent.content.decode()
    answer = client.post(url, {**values, "code": outbox.last_code(), "action": "submit", "photos": [jpeg()]})
    assert answer.status_code == 302 and answer.url == reverse("declare:done")
    done = client.get(answer.url).content.decode()
    declaration = Declaration.objects.get()
    assert declaration.receipt in done and declaration.photos.count() == 1
    status = client.post(
        reverse("declare:status"), {"receipt": declaration.receipt, "last4": values["id_number"][-4:]}
    ).content.decode()
    assert "已受理，待入户核实" in status and "南山居委会" in status
    assert values["id_number"] not in status and "李四" not in status and PHONE not in status


def test_choosing_the_village_step_by_step(client, tree):
    page = client.get(reverse("declare:start")).content.decode()
    assert "江西省" in page
    page = client.get(reverse("declare:start") + "?r=360722100").content.decode()
    assert "南山居委会" in page and "?r=360722100001" in page
    page = client.get(reverse("declare:start") + "?r=360722100001").content.decode()
    assert 'name="id_number"' in page
    assert client.get(reverse("declare:start") + "?r=abc").status_code == 200


def test_a_forged_or_altered_village_code_is_refused(client, tree):
    forged = signing.dumps(factories.VILLAGE, salt="something else")
    assert client.get(reverse("declare:village", args=[forged])).status_code == 404
    token = public.village_token(factories.VILLAGE)
    assert client.get(reverse("declare:village", args=[token[:-2] + "xx"])).status_code == 404
    township = public.village_token("360722100")  # genuine signature, not a village
    assert client.get(reverse("declare:village", args=[township])).status_code == 404


def test_wrong_code_shows_a_clear_error_and_stores_nothing(client, tree, outbox):
    url = village_url()
    values = form()
    client.post(url, {**values, "action": "code"})
    page = client.post(url, {**values, "code": "12345x", "action": "submit"}).content.decode()
    assert "验证码不正确" in page and not Declaration.objects.exists()


def test_the_status_page_refuses_a_wrong_last4_and_limits_guessing(client, tree, outbox, settings):
    d = declare(outbox=outbox)
    wrong = "0000" if d.id_number[-4:] != "0000" else "1111"
    page = client.post(reverse("declare:status"), {"receipt": d.receipt, "last4": wrong}).content.decode()
    assert "不对" in page and "已受理" not in page
    settings.FUPIN_DECLARATION_RATES = {**settings.FUPIN_DECLARATION_RATES, "status": "3/m"}
    for _ in range(3):
        client.post(reverse("declare:status"), {"receipt": d.receipt, "last4": wrong})
    page = client.post(
        reverse("declare:status"), {"receipt": d.receipt, "last4": d.id_number[-4:]}
    ).content.decode()
    assert "操作太频繁" in page and "已受理，待入户核实" not in page


def test_codes_are_limited_per_address(client, tree, outbox, settings):
    settings.FUPIN_DECLARATION_RATES = {**settings.FUPIN_DECLARATION_RATES, "code": "2/h"}
    url = village_url()
    for i in range(2):
        client.post(url, {**form(phone=f"1380013800{i}"), "action": "code"})
    page = client.post(url, {**form(phone="13800138009"), "action": "code"}).content.decode()
    assert "操作太频繁" in page and len(outbox.messages()) == 2


def test_staff_list_detail_and_verification_are_scoped(client, users, outbox):
    d = declare(outbox=outbox)
    client.force_login(users["sibling_clerk"])
    assert client.get(reverse("declarations:detail", args=[d.pk])).status_code == 404
    assert d.receipt not in client.get(reverse("declarations:list")).content.decode()
    assert client.post(reverse("declarations:verify", args=[d.pk]), {"findings": "x"}).status_code == 404
    client.force_login(users["province"])
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert d.id_number not in page and d.id_number[-4:] in page and "确认核实" not in page
    client.force_login(users["clerk"])
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert d.id_number not in page and "确认核实" in page  # masked for every role until revealed (issue 17)
    answer = client.post(reverse("declarations:verify", args=[d.pk]), {"findings": ""})
    assert answer.status_code == 422 and "请填写入户核实情况" in answer.content.decode()
    answer = client.post(reverse("declarations:verify", args=[d.pk]), {"findings": "属实"})
    assert answer.status_code == 302
    assert Declaration.objects.get().status == Status.IN_PROCEDURE


def test_intake_page_and_signals(client, users):
    client.force_login(users["township"])
    assert client.get(reverse("declarations:intake")).status_code == 200
    answer = client.post(
        reverse("declarations:intake"),
        {
            "channel": "hotline",
            "village_code": factories.OTHER_COUNTY_VILLAGE,
            "name": "王五",
            "id_number": factories.id_number(),
            "hardship": "disaster",
            "description": "房屋受损",
        },
    )
    assert answer.status_code == 200 and "不在您的管辖范围内" in answer.content.decode()
    answer = client.post(
        reverse("declarations:intake"),
        {
            "channel": "hotline",
            "village_code": factories.VILLAGE,
            "name": "王五",
            "id_number": factories.id_number(),
            "hardship": "disaster",
            "description": "房屋受损",
        },
    )
    assert answer.status_code == 302 and Declaration.objects.get().channel == "hotline"


def _counts(client, region=""):
    page = client.get(
        reverse("declarations:dashboard") + (f"?region={region}" if region else "")
    ).content.decode()
    return {
        (m[1], m[0]): int(m[2])
        for m in re.findall(r'data-bucket="(\w+)" data-region="(\d*)" href="[^"]*">(\d+)</a>', page)
    }


@pytest.mark.parametrize("role", ["clerk", "township", "county", "prefecture", "province", "other_county"])
def test_dashboard_counts_equal_the_lists_behind_them(client, users, outbox, role):
    a = declare(outbox=outbox)
    b = declare(outbox=outbox, phone="13900139000", village=factories.OTHER_TOWNSHIP_VILLAGE)
    declare(outbox=outbox, phone="13900139001", village=factories.OTHER_COUNTY_VILLAGE)
    cases.verify(a, by=users["clerk"], findings="属实")
    cases.reject(
        b, by=factories.make_user("c2", "village_clerk", factories.OTHER_TOWNSHIP_VILLAGE), reason="不符"
    )
    user = users[role]
    client.force_login(user)
    counts = _counts(client)
    assert counts, "the dashboard shows counts"
    for (region, bucket), n in counts.items():
        listed = declarations_for(user, region=region, bucket=bucket).count()
        assert n == listed, (region, bucket)
        page = client.get(reverse("declarations:list") + f"?region={region}&bucket={bucket}").content.decode()
        assert f'data-count="{n}"' in page


def test_posters_for_a_township_are_one_pdf_page_per_village(client, users):
    client.force_login(users["township"])
    answer = client.get(reverse("declarations:posters", args=[factories.VILLAGE[:9]]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    body = b"".join(answer.streaming_content)
    assert body.startswith(b"%PDF") and b"%%EOF" in body[-1024:]
    assert client.get(
        reverse("declarations:posters", args=[factories.OTHER_COUNTY_VILLAGE[:9]])
    ).status_code in (403, 404)


def test_poster_html_names_the_village_and_a_working_signed_link(tree):
    from fupin.declarations import poster
    from fupin.regions.models import Region

    html = poster.render_posters_html(
        poster.villages_under(Region.objects.get(code=factories.VILLAGE[:9])), base_url="http://x"
    )
    assert html.count('class="poster"') == 2 and "南山居委会" in html and "12317" in html
    token = re.search(r"http://x/declare/v/([^/]+)/", html).group(1)
    assert public.village_from_token(token).code in (factories.VILLAGE, factories.SIBLING_VILLAGE)


def test_the_poster_command_writes_a_county_pdf(tree, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = tmp_path / "posters.pdf"
    call_command("declaration_posters", factories.VILLAGE[:6], out=str(out))
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError):
        call_command("declaration_posters", "36", out=str(out))


def test_the_cached_public_page_carries_each_callers_own_csrf_token(tree):
    from django.test import Client

    url = village_url()
    pages = []
    for _ in range(2):
        c = Client(enforce_csrf_checks=True)
        html = c.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        pages.append(token)
        answer = c.post(url, {**form(phone="abc"), "action": "code", "csrfmiddlewaretoken": token})
        assert answer.status_code == 200 and "请填写11位手机号" in answer.content.decode()
    assert pages[0] != pages[1]


@pytest.mark.parametrize("role", ["prefecture", "province", "liaison"])
def test_read_only_roles_change_nothing_on_a_declaration_by_any_staff_action(client, users, outbox, role):
    from fupin.monitoring.models import RiskSignal

    d = declare(outbox=outbox)
    household = factories.make_household()
    signal = RiskSignal.objects.create(
        household=household,
        village_code=household.village_id,
        year=2025,
        kind="income_drop",
        source_type="income",
        source_id=1,
        source_label="收入下降",
    )
    client.force_login(users[role])
    before = list(Declaration.objects.values_list("pk", "status", "findings"))
    answers = [
        client.post(reverse("declarations:visit", args=[d.pk]), {"findings": "看过了"}),
        client.post(reverse("declarations:verify", args=[d.pk]), {"findings": "属实"}),
        client.post(reverse("declarations:reject", args=[d.pk]), {"reason": "不属实"}),
        client.post(
            reverse("declarations:intake"),
            {
                "channel": "hotline",
                "village_code": factories.VILLAGE,
                "name": "王五",
                "id_number": factories.id_number(),
                "phone": "13700137000",
                "hardship": "illness",
                "description": "电话反映",
            },
        ),
        client.post(reverse("declarations:open_signal", args=[signal.pk])),
    ]
    assert all(a.status_code in (403, 404) for a in answers), [a.status_code for a in answers]
    assert list(Declaration.objects.values_list("pk", "status", "findings")) == before
    assert not d.events.exclude(label__contains="受理").exists()


def test_a_county_with_more_villages_than_one_pdf_takes_offers_its_townships_posters(
    client, users, monkeypatch
):
    from fupin.declarations import poster

    client.force_login(users["county"])
    county = factories.VILLAGE[:6]
    page = client.get(reverse("declarations:dashboard"), {"region": county}).content.decode()
    assert reverse("declarations:posters", args=[county]) in page  # the whole county in one PDF
    monkeypatch.setattr(poster, "INLINE_LIMIT", 1)
    page = client.get(reverse("declarations:dashboard"), {"region": county}).content.decode()
    assert reverse("declarations:posters", args=[county]) not in page
    assert reverse("declarations:posters", args=[factories.VILLAGE[:9]]) in page  # one PDF per township
    answer = client.get(reverse("declarations:posters", args=[county]))
    assert answer.status_code == 403 and "按乡镇打印" in answer.content.decode()


def test_every_server_process_counts_an_address_against_the_same_limit(settings):
    """`fupin serve` runs a process per core: each must see the others' counts, or each grants the limit
    again."""
    from django.core.cache import caches

    assert settings.RATELIMIT_USE_CACHE == "limits"
    assert caches["limits"].__class__.__name__ in ("FileBasedCache", "RedisCache")
    # Two processes: each its own connection to the "limits" cache; what one counts, the other sees.
    first, second = caches.create_connection("limits"), caches.create_connection("limits")
    first.add("declare-code:10.0.0.7", 0)
    first.incr("declare-code:10.0.0.7")
    assert second.incr("declare-code:10.0.0.7") == 2


def test_a_paired_helper_is_told_of_their_households_declarations_awaiting_the_home_visit(users, outbox):
    from django.utils import timezone

    from fupin.assistance import roster
    from fupin.assistance import services as assistance
    from fupin.core.todo import collect
    from fupin.registry import codes

    household = factories.make_household()
    unit = roster.create_unit(by=users["county"], name="县直单位", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="帮扶乙", phone="13700000009", region_code=factories.VILLAGE[:9]
    )
    assistance.pair_household(household, helper, by=users["county"], started_on=household.created_at.date())
    login = roster.give_helper_login(helper, by=users["county"], username="helper2", password="pw-secret-123")
    declare(outbox=outbox, id_number=household.members.get(relation=codes.Relation.HEAD).id_number)
    declare("13900139000", outbox=outbox)  # another household's: not this helper's
    items = {t.kind: t.count for t in collect(login, timezone.localdate())}
    assert items["declarations.visit"] == 1
