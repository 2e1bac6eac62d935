import pytest

from fupin.accounts.models import ApiToken, hash_token
from fupin.accounts.services import AccountError, create_user, issue_token, revoke_token
from fupin.audit.models import AuditEntry
from tests import factories

PASSWORD = "a-fine-Passphrase-9"


def test_users_are_bound_to_a_region_of_their_roles_level(users):
    admin = users["admin"]
    clerk = create_user(
        by=admin, username="c2", password=PASSWORD, role="village_clerk", region_code=factories.VILLAGE
    )
    assert clerk.scope_prefix == factories.VILLAGE
    with pytest.raises(AccountError, match="须绑定到行政村级区划"):
        create_user(by=admin, username="c3", password=PASSWORD, role="village_clerk", region_code="360722100")
    helper = create_user(by=admin, username="h1", password=PASSWORD, role="helper", region_code="360722100")
    assert helper.scope_prefix is None and helper.helper_region == "360722100"
    with pytest.raises(AccountError, match="帮扶责任人须绑定到县、乡或村"):
        create_user(by=admin, username="h2", password=PASSWORD, role="helper", region_code="36")
    assert AuditEntry.objects.filter(action="create_user").count() == 2


def test_only_the_county_office_creates_users_in_its_county(users):
    create_user(
        by=users["county"], username="t2", password=PASSWORD, role="township", region_code="360722101"
    )
    with pytest.raises(AccountError, match="只有县扶贫办"):
        create_user(
            by=users["township"],
            username="t3",
            password=PASSWORD,
            role="village_clerk",
            region_code=factories.VILLAGE,
        )
    with pytest.raises(AccountError, match="只有县扶贫办"):
        create_user(
            by=users["county"], username="t4", password=PASSWORD, role="township", region_code="360723100"
        )


def test_tokens_are_stored_hashed_and_revocable(users):
    token, raw = issue_token(users["clerk"], name="手机")
    assert raw.startswith("fp_") and token.key_hash == hash_token(raw) and raw not in token.key_hash
    revoke_token(users["sibling_clerk"], str(token.pk))  # someone else's token: nothing happens
    assert not ApiToken.objects.get(pk=token.pk).revoked
    revoke_token(users["clerk"], str(token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked
