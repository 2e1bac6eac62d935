"""Who is signed in, on the lean path (the user's row read with the session, fupin.core.sessions and
fupin.accounts.backends): every change to the user or the session takes effect on the very next request."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.accounts.backends import UserBackend
from fupin.accounts.models import User
from fupin.core import fragments
from fupin.core.models import Session
from fupin.core.sessions import SessionStore
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("registry:household_list")
PASSWORD = "pw-secret-123"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    fragments.forget_local()
    yield
    cache.clear()
    fragments.forget_local()


def signed_in(user, password=PASSWORD) -> Client:
    """A browser that signed in through the login form (the real path: backend, session, CSRF)."""
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def list_status(client) -> int:
    return client.get(LIST, {"region": factories.VILLAGE}).status_code


def test_the_list_reads_the_session_and_user_in_one_statement(users):
    factories.make_household(head="张三丰")
    client = signed_in(users["clerk"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST).content.decode()
    assert "张三丰" in page and "clerk" in page
    assert len(queries.captured_queries) == 2  # the session with its user, and the list's version


def test_the_session_row_carries_its_user(users):
    client = signed_in(users["clerk"])
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == users["clerk"].pk


def test_the_user_read_by_sql_is_the_user_the_orm_reads(users):
    user = users["county"]
    User.objects.filter(pk=user.pk).update(full_name="县里的人", last_login="2025-03-01T08:00:00Z")
    lean, orm = UserBackend().get_user(user.pk), User.objects.get(pk=user.pk)
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(lean, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert lean.last_login.tzinfo is not None and lean._state.adding is False
    assert UserBackend().get_user(999_999) is None


def test_logging_out_ends_the_session_for_the_next_request(users):
    client = signed_in(users["clerk"])
    assert list_status(client) == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies["sessionid"] = cookie  # the old cookie, sent again
    assert list_status(replay) == 302 and list_status(client) == 302


def test_a_changed_password_signs_out_every_other_session(users):
    clerk = users["clerk"]
    client = signed_in(clerk)
    assert list_status(client) == 200
    clerk.set_password("a-new-secret-456")
    clerk.save()
    assert list_status(client) == 302
    assert list_status(signed_in(clerk, "a-new-secret-456")) == 200


def test_a_deactivated_user_is_refused_on_the_next_request(users):
    client = signed_in(users["clerk"])
    assert list_status(client) == 200
    User.objects.filter(pk=users["clerk"].pk).update(is_active=False)
    assert list_status(client) == 302


def test_a_deleted_user_is_signed_out(users):
    user = factories.make_user("leaving", "village_clerk", factories.VILLAGE)
    client = signed_in(user)
    assert list_status(client) == 200
    key = client.cookies["sessionid"].value
    user.delete()
    assert not Session.objects.filter(session_key=key).exists()
    assert list_status(client) == 302


def test_a_new_role_or_region_takes_effect_on_the_next_request(users):
    mine = factories.make_household(head="张三丰")
    theirs = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    clerk = users["clerk"]
    client = signed_in(clerk)
    for _ in range(2):  # the second time from the cache
        page = client.get(LIST).content.decode()
        assert mine.number in page and theirs.number not in page
    User.objects.filter(pk=clerk.pk).update(region_id=factories.SIBLING_VILLAGE)
    page = client.get(LIST).content.decode()
    assert theirs.number in page and mine.number not in page
    User.objects.filter(pk=clerk.pk).update(role="liaison", region_id=None)
    assert client.get(LIST).status_code == 403


def test_a_session_whose_user_id_was_tampered_with_in_the_table_is_not_trusted(users):
    """The joined row is used only for the user the signed session names."""
    client = signed_in(users["clerk"])
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(user_id=users["county"].pk)
    page = client.get(LIST).content.decode()
    assert "县扶贫办" not in page and "村扶贫专干" in page


def test_a_session_of_an_unknown_user_id_is_anonymous(users):
    client = signed_in(users["clerk"])
    store = SessionStore(client.cookies["sessionid"].value)
    store[SESSION_KEY] = "999999"
    store.save()
    assert Session.objects.get(session_key=store.session_key).user_id == 999999
    assert list_status(client) == 302


def test_posts_without_the_csrf_token_are_refused(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    page = client.get(LIST).content.decode()
    assert client.post(reverse("set_language"), {"language": "en", "next": LIST}).status_code == 403
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert list_status(client) == 200  # still signed in
    token = CSRF_INPUT.findall(page)[0]
    assert client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert list_status(client) == 302


def test_each_page_gets_a_fresh_mask_of_the_same_csrf_secret(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    tokens = [CSRF_INPUT.findall(client.get(LIST).content.decode())[0] for _ in range(5)]
    assert len(set(tokens)) == 5
    assert all(len(t) == 64 and t.isalnum() and t.isascii() for t in tokens)
    secret = client.cookies["csrftoken"].value
    assert {_unmask_cipher_token(t) for t in tokens} == {secret}
