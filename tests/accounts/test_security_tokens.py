"""Credentials that outlive a sign-in (issue 14, findings 4 and 10): API tokens expire and may be read-only;
the handbook's public QR codes are signed with this installation's own key, expire, and are renewed per
household."""

import datetime
import json
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.accounts.services import AccountError, issue_token
from fupin.assistance import handbook
from fupin.audit.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
HOUSEHOLDS = "/api/v1/households/"
PUBLISHED_KEY = (
    "insecure-development-key-set-SECRET_KEY-in-production"  # the constant fupin's settings once fell back to
)


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


# ---------------------------------------------------------------- API tokens


def test_a_token_expires_after_the_days_chosen(users):
    token, raw = issue_token(users["clerk"], name="script", days=30)
    assert abs(token.expires_at - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(
        minutes=1
    )
    assert bearer(raw).get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = bearer(raw).get(ME)
    assert response.status_code == 401 and "过期" in response.json()["detail"]


def test_tokens_last_ninety_days_unless_told_otherwise_and_only_offered_lifetimes(users):
    token, _ = issue_token(users["clerk"], name="script")
    assert (token.expires_at - token.created_at).days in (89, 90)
    with pytest.raises(AccountError):
        issue_token(users["clerk"], name="forever", days=100000)


def test_a_read_only_token_reads_and_is_refused_every_write(users):
    household = factories.make_household()
    member = household.members.first()
    _, raw = issue_token(users["county"], name="dashboard", read_only=True)
    client = bearer(raw)
    assert client.get(HOUSEHOLDS).status_code == 200
    writes = [
        ("post", HOUSEHOLDS, {"village": factories.VILLAGE, "primary_cause": "illness"}),
        ("patch", f"{HOUSEHOLDS}{household.pk}/", {"phone": "13900000000"}),
        ("put", f"{HOUSEHOLDS}{household.pk}/incomes/2025/", {"wage_income": "100.00"}),
        ("delete", f"/api/v1/members/{member.pk}/", {"reason": "死亡"}),
    ]
    before = AuditEntry.objects.count()
    for method, path, body in writes:
        response = getattr(client, method)(path, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 403, (method, path)
        assert "只读令牌" in response.json()["detail"]
    assert AuditEntry.objects.count() == before
    _, writable = issue_token(users["county"], name="entry")
    etag = bearer(writable).get(f"{HOUSEHOLDS}{household.pk}/")["ETag"]
    response = bearer(writable).patch(
        f"{HOUSEHOLDS}{household.pk}/",
        data=json.dumps({"phone": "13900000000"}),
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200


def test_the_tokens_page_offers_the_lifetime_and_the_read_only_flag(users):
    client = Client()
    client.force_login(users["county"])
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert 'name="days"' in page and 'name="read_only"' in page
    response = client.post(reverse("accounts:tokens"), {"name": "报表脚本", "days": "30", "read_only": "1"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=users["county"], name="报表脚本")
    assert token.read_only and (token.expires_at - token.created_at).days in (29, 30)
    assert "只读" in response.content.decode()
    refused = client.post(reverse("accounts:tokens"), {"name": "x", "days": "7"})
    assert refused.status_code == 200 and ApiToken.objects.filter(user=users["county"]).count() == 1


# ---------------------------------------------------------------- the handbook's public codes


def public_path(household) -> str:
    return handbook.public_url(household, "http://testserver").removeprefix("http://testserver")


def test_a_code_forged_with_the_published_key_is_refused(users):
    household = factories.make_household()
    for value, salt in (
        (household.pk, "fupin.assistance.public-summary"),
        ([household.pk, 0], handbook.PUBLIC_SALT),
    ):
        forged = signing.dumps(value, key=PUBLISHED_KEY, salt=salt, compress=False)
        assert Client().get(reverse("assistance:public_summary", args=[forged])).status_code == 404
    assert Client().get(public_path(household)).status_code == 200


def test_a_code_expires_after_the_configured_days(users, settings):
    household = factories.make_household()
    settings.FUPIN_PUBLIC_CODE_DAYS = 365
    printed = time.time() - 366 * 86400
    with mock.patch("django.core.signing.time.time", return_value=printed):
        old = public_path(household)
    response = Client().get(old)
    assert response.status_code == 410 and "已失效" in response.content.decode()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 300 * 86400):
        assert Client().get(public_path(household)).status_code == 200


def test_renewing_a_households_code_ends_the_codes_printed_before(users):
    household = factories.make_household()
    other = factories.make_household(head="李四")
    old, others = public_path(household), public_path(other)
    clerk = Client()
    clerk.force_login(users["clerk"])
    response = clerk.post(reverse("assistance:renew_handbook_code", args=[household.pk]))
    assert response.status_code == 302
    refused = Client().get(old)
    assert refused.status_code == 410 and "已失效" in refused.content.decode()
    assert Client().get(public_path(household)).status_code == 200  # the reprinted handbook's code
    assert Client().get(others).status_code == 200  # another household's code is untouched
    assert AuditEntry.objects.filter(action="renew_handbook_code", household_id=household.pk).exists()


def test_a_read_only_role_or_another_village_cannot_renew_a_code(users):
    household = factories.make_household()
    old = public_path(household)
    for who in ("prefecture", "sibling_clerk"):
        client = Client()
        client.force_login(users[who])
        assert client.post(reverse("assistance:renew_handbook_code", args=[household.pk])).status_code in (
            403,
            404,
        )
    assert Client().get(old).status_code == 200


@pytest.mark.parametrize("token", ["x", "a" * 300, "WzEsMF0:1vS5Xx:" + "A" * 43, "..", "%00"])
def test_garbage_codes_are_not_found_never_a_server_error(db, token):
    assert Client().get(reverse("assistance:public_summary", args=[token])).status_code == 404
