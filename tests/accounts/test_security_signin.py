"""Sign-in hardening (issue 14, finding 5): lockout after repeated failures, passwords checked by Django's
validators wherever they are set, an administrator's unlock, and the optional TOTP second factor."""

import re
from base64 import b32encode

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fupin.accounts import services
from fupin.accounts.models import User
from fupin.assistance import roster
from fupin.assistance import services as assistance_services
from fupin.assistance.models import Helper, HelperUnit
from fupin.audit.models import AuditEntry
from fupin.registry.demo import DEMO_PASSWORD
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LIST = reverse("registry:household_list")
PASSWORD = "pw-secret-123"


def without_tokens(page: str) -> str:
    """A page with its CSRF tokens (different on every page) taken out, for comparing two answers."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", re.sub(r'value="[^"]*"', "", page))


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return client.get(LIST).status_code == 200


# ---------------------------------------------------------------- lockout


def test_the_right_password_is_refused_after_five_wrong_ones(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            sign_in(client, "clerk", "wrong-password-1").status_code == 200
        )  # the form again, with its error
    locked = sign_in(client, "clerk", "wrong-password-1")
    assert locked.status_code == 429 and "暂时锁定" in locked.content.decode()
    right = sign_in(Client(), "clerk", PASSWORD)  # another browser, the right password
    assert right.status_code == 429
    assert not signed_in(client)


def test_a_locked_out_unknown_user_gets_the_same_answer_as_a_real_one(users, settings):
    answers = {}
    for name in ("clerk", "nobody-here"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(Client(REMOTE_ADDR=f"10.0.0.{len(answers) + 1}"), name, "wrong-password-1")
        response = sign_in(Client(REMOTE_ADDR=f"10.0.0.{len(answers) + 1}"), name, "wrong-password-1")
        answers[name] = (
            response.status_code,
            without_tokens(response.content.decode().replace(name, "NAME")),
        )
    assert answers["clerk"] == answers["nobody-here"]
    assert answers["clerk"][0] == 429
    # and before the lockout, a wrong password and an unknown user read the same too
    one = sign_in(Client(), "township", "wrong-password-1").content.decode()
    other = sign_in(Client(), "no-such-township", "wrong-password-1").content.decode()
    assert one.replace("township", "NAME").count("用户名或密码不正确") == 1
    assert without_tokens(one.replace("township", "NAME")) == without_tokens(
        other.replace("no-such-township", "NAME")
    )


def test_an_address_trying_many_accounts_is_throttled(users, settings):
    settings.FUPIN_LOGIN_ADDRESS_FAILURES = 8
    client = Client(REMOTE_ADDR="192.0.2.7")
    for n in range(8):  # two failures on each of four names: no account reaches its own limit
        sign_in(client, f"guess{n // 2}", "wrong-password-1")
    assert sign_in(client, "clerk", PASSWORD).status_code == 429
    assert signed_in(sign_in_ok(Client(REMOTE_ADDR="192.0.2.8"), "clerk"))


def sign_in_ok(client, username, password=PASSWORD):
    response = sign_in(client, username, password)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_a_success_before_the_limit_clears_the_failures(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "clerk", "wrong-password-1")
    sign_in_ok(client, "clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(Client(), "clerk", "wrong-password-1").status_code == 200
    sign_in_ok(Client(), "clerk")


def lock(username, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), username, "wrong-password-1")
    assert sign_in(Client(), username, PASSWORD).status_code == 429


def test_an_administrator_unlocks_an_account_from_the_admin(users, settings):
    lock("clerk", settings)
    admin = Client()
    admin.force_login(users["admin"])
    changelist = reverse("admin:accounts_user_changelist")
    response = admin.post(changelist, {"action": "unlock_sign_in", "_selected_action": [users["clerk"].pk]})
    assert response.status_code == 302
    assert signed_in(sign_in_ok(Client(), "clerk"))
    assert AuditEntry.objects.filter(action="unlock_sign_in", target_id=users["clerk"].pk).exists()


def test_only_a_system_administrator_unlocks(users, settings):
    lock("clerk", settings)
    with pytest.raises(services.AccountError):
        services.unlock(users["clerk"], by=users["county"])
    assert sign_in(Client(), "clerk", PASSWORD).status_code == 429


def test_the_reset_command_unlocks_an_account(users, settings):
    lock("clerk", settings)
    call_command("axes_reset_username", "clerk", verbosity=0)
    sign_in_ok(Client(), "clerk")
    assert not AccessAttempt.objects.filter(username="clerk").exists()


def test_the_admin_login_goes_through_the_guarded_sign_in(users):
    response = Client().get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    clerk = Client()
    clerk.force_login(users["clerk"])
    assert clerk.get(reverse("admin:login")).status_code == 403


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize("weak", ["short-1", "12345678901", "password123", "clerk-clerk"])
def test_creating_a_user_with_a_weak_password_is_refused(users, weak):
    with pytest.raises(services.PasswordRefused):
        services.create_user(
            by=users["admin"],
            username="clerk-clerk",
            password=weak,
            role="village_clerk",
            region_code=factories.VILLAGE,
        )
    assert not User.objects.filter(username="clerk-clerk").exists()


def test_a_helper_sign_in_with_a_weak_password_is_refused(users):
    unit = HelperUnit.objects.create(name="县农业局", region_id=factories.VILLAGE[:6])
    helper = Helper.objects.create(
        unit=unit, name="王建国", phone="13800000000", region_id=factories.VILLAGE[:6]
    )
    with pytest.raises(assistance_services.AssistanceError) as refused:
        roster.give_helper_login(helper, by=users["county"], username="wanghelper", password="12345678")
    assert "password" in refused.value.errors
    assert not User.objects.filter(username="wanghelper").exists()
    roster.give_helper_login(
        helper, by=users["county"], username="wanghelper", password="a-fine-Passphrase-9"
    )
    assert User.objects.get(username="wanghelper").check_password("a-fine-Passphrase-9")


def test_the_helper_page_refuses_a_weak_initial_password_with_the_validators_message(users):
    unit = HelperUnit.objects.create(name="县农业局", region_id=factories.VILLAGE[:6])
    helper = Helper.objects.create(
        unit=unit, name="王建国", phone="13800000000", region_id=factories.VILLAGE[:6]
    )
    county = Client()
    county.force_login(users["county"])
    url = reverse("assistance:helper", args=[helper.pk])
    response = county.post(url, {"action": "login", "username": "wanghelper", "password": "123456789012"})
    assert response.status_code == 400 and "数字" in response.content.decode()
    assert not User.objects.filter(username="wanghelper").exists()
    response = county.post(
        url, {"action": "login", "username": "wanghelper", "password": "a-fine-Passphrase-9"}
    )
    assert response.status_code == 302 and User.objects.filter(username="wanghelper").exists()


def change_password(client, old, new):
    return client.post(
        reverse("accounts:password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_a_user_changes_their_password_and_other_sessions_end(users):
    here, elsewhere = sign_in_ok(Client(), "clerk"), sign_in_ok(Client(), "clerk")
    assert here.get(reverse("accounts:password_change")).status_code == 200
    response = change_password(here, PASSWORD, "another-Passphrase-42")
    assert response.status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    assert User.objects.get(username="clerk").check_password("another-Passphrase-42")
    assert AuditEntry.objects.filter(action="change_password", target_id=users["clerk"].pk).exists()


@pytest.mark.parametrize("weak", ["1234567890", "qwertyuiop", "short"])
def test_the_change_password_page_refuses_a_weak_password(users, weak):
    client = sign_in_ok(Client(), "clerk")
    response = change_password(client, PASSWORD, weak)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert User.objects.get(username="clerk").check_password(PASSWORD)


def test_an_administrator_resets_a_password_only_to_a_strong_one(users):
    admin = Client()
    admin.force_login(users["admin"])
    url = reverse("admin:auth_user_password_change", args=[users["clerk"].pk])
    weak = admin.post(url, {"password1": "1234567890", "password2": "1234567890", "usable_password": "true"})
    assert weak.status_code == 200
    assert User.objects.get(username="clerk").check_password(PASSWORD)
    strong = admin.post(
        url, {"password1": "Reset-by-Admin-77", "password2": "Reset-by-Admin-77", "usable_password": "true"}
    )
    assert strong.status_code == 302
    assert User.objects.get(username="clerk").check_password("Reset-by-Admin-77")
    assert (
        AuditEntry.objects.filter(
            action="reset_password", target_id=users["clerk"].pk, user=users["admin"]
        ).count()
        == 1
    )
    with pytest.raises(services.AccountError):
        services.set_password(users["clerk"], "another-Passphrase-42", by=users["county"])


def test_the_demo_password_passes_the_validators():
    """Demo accounts are seeded with DEMO_PASSWORD through set_password; it is one the validators accept."""
    for username, full_name in (
        ("demo_admin", "系统管理员"),
        ("demo_clerk", "村扶贫专干 李专干"),
        ("demo_county", "县扶贫办 刘主任"),
    ):
        services.check_password_allowed(DEMO_PASSWORD, User(username=username, full_name=full_name))


# ---------------------------------------------------------------- the second factor


def code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def enrol(client, user) -> TOTPDevice:
    page = client.get(reverse("accounts:two_factor_enrol"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert b32encode(device.bin_key).decode() in page.content.decode()  # the key to type when scanning fails
    response = client.post(reverse("accounts:two_factor_enrol"), {"otp_token": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrolment_then_every_sign_in_asks_for_the_code(users):
    county = users["county"]
    client = sign_in_ok(Client(), "county")
    device = enrol(client, county)
    assert AuditEntry.objects.filter(action="enrol_totp", target_id=county.pk).exists()

    browser = Client()
    response = sign_in(browser, "county", PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:two_factor_verify")
    )
    # the password alone reaches no page and no API
    blocked = browser.get(LIST)
    assert blocked.status_code == 302 and blocked["Location"].startswith(
        reverse("accounts:two_factor_verify")
    )
    assert browser.get("/api/v1/me/").status_code == 401
    assert browser.post(reverse("accounts:two_factor"), {"remove": "1"}).status_code == 302
    assert TOTPDevice.objects.filter(user=county, confirmed=True).exists()
    assert browser.get(reverse("accounts:tokens")).status_code == 302

    assert browser.post(reverse("accounts:two_factor_verify"), {"otp_token": "12345"}).status_code == 400
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.last_t = -1
    device.save()
    response = browser.post(reverse("accounts:two_factor_verify"), {"otp_token": code(device), "next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    assert signed_in(browser)
    assert browser.get("/api/v1/me/").status_code == 200


def test_enrolling_signs_out_the_sessions_that_never_gave_the_code(users):
    elsewhere = sign_in_ok(Client(), "county")
    here = sign_in_ok(Client(), "county")
    enrol(here, users["county"])
    assert signed_in(here) and not signed_in(elsewhere)


def test_a_wrong_code_is_counted_and_slows_the_next_tries(users):
    client = sign_in_ok(Client(), "county")
    device = enrol(client, users["county"])
    browser = Client()
    sign_in(browser, "county", PASSWORD)
    browser.post(reverse("accounts:two_factor_verify"), {"otp_token": "000001"})
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    # while throttled even the right code is refused
    response = browser.post(reverse("accounts:two_factor_verify"), {"otp_token": code(device)})
    assert response.status_code == 400 and not signed_in(browser)


def test_a_role_without_the_second_factor_signs_in_with_the_password_alone(users):
    assert signed_in(sign_in_ok(Client(), "clerk"))
    client = sign_in_ok(Client(), "clerk")
    assert client.get(reverse("accounts:two_factor_enrol")).status_code == 404


def test_a_required_role_must_enrol_before_anything_else(users, settings):
    settings.FUPIN_REQUIRE_2FA_ROLES = ("province",)
    browser = Client()
    response = sign_in(browser, "province", PASSWORD)
    assert response["Location"].startswith(reverse("accounts:two_factor_enrol"))
    assert browser.get(LIST)["Location"].startswith(reverse("accounts:two_factor_enrol"))
    enrol(browser, users["province"])
    assert signed_in(browser)
    # and it cannot be removed while the role requires it
    browser.post(reverse("accounts:two_factor"), {"remove": "1"})
    assert TOTPDevice.objects.filter(user=users["province"], confirmed=True).exists()


def test_the_user_or_an_administrator_removes_the_second_factor(users):
    client = sign_in_ok(Client(), "county")
    enrol(client, users["county"])
    assert client.post(reverse("accounts:two_factor"), {"remove": "1"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=users["county"]).exists()
    enrol(client, users["county"])
    with pytest.raises(services.AccountError):
        services.remove_totp(users["county"], by=users["township"])
    services.remove_totp(users["county"], by=users["admin"])
    assert signed_in(sign_in_ok(Client(), "county"))


def test_the_throttled_address_is_the_one_the_proxy_saw(rf, settings):
    from fupin.accounts.throttle import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert client_address(request) == "10.0.0.1"  # not behind a proxy: the header is the client's to forge
    settings.FUPIN_BEHIND_PROXY = True
    assert client_address(request) == "198.51.100.9"  # the entry the proxy appended, not the client's own
    assert (
        client_address(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address"))
        == "10.0.0.1"
    )
    request = rf.get("/")
    request.META.pop("REMOTE_ADDR")
    assert client_address(request) is None
