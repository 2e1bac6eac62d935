"""Contract tests of the whole OpenAPI document (issue 19), with schemathesis: every operation, with generated
valid and invalid inputs, never answers 5xx, answers only the status codes and content types it documents,
with bodies matching its schemas, and never returns a record outside the caller's scope.

The caller is a county office (信丰县, 360722) with a bearer token; the database, built once for the module
(the same world as tests/accounts/test_scope_all_routes.py), holds another county's, another prefecture's and
another province's records too. A handful of examples per operation keeps the run to a minute or two on either
database.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fupin.accounts.services import issue_token
from fupin.api import api as ninja_api
from tests.accounts.test_scope_all_routes import build_world

# Django's WSGI application, as fupin.wsgi builds it but without the production start-up checks (a test run on
# PostgreSQL has a DATABASE_URL and DEBUG off, where fupin.wsgi refuses to start without the data keys' file).
application = get_wsgi_application()

COUNTY = "360722"
# Keys under which answers carry a region code.
REGION_KEYS = {
    "village",
    "village_code",
    "region",
    "region_code",
    "county",
    "scope_code",
    "region_prefix",
    "code",
}
REGION_KEYS |= {"township", "parent"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
            FUPIN_API_RATE_LIMIT=0,
        ),
    ):
        # Called as a WSGI app (not through Django's test client), each request's signals would close the
        # database connection the module's transaction lives on (PostgreSQL then answers every request 503):
        # disconnect them, as the test client does.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            made = build_world(media)
            _, raw = issue_token(made["users"]["county"], name="contract")
            yield made | {"token": raw}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())


def codes_in(value, key: str = ""):
    """Every region code the answer carries, under the keys that hold one."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from codes_in(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from codes_in(v, key)
    elif (
        key in REGION_KEYS
        and isinstance(value, str)
        and value.isdigit()
        and len(value) in (2, 4, 6, 9, 12, 15)
    ):
        yield value


def in_scope(code: str) -> bool:
    """Within the county, or one of the regions above it (a prefecture's unit, the province's threshold)."""
    return code.startswith(COUNTY) or COUNTY.startswith(code)


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract_and_the_callers_scope(case, world, db):
    response = case.call(app=application, headers={"Authorization": f"Bearer {world['token']}"})
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    if response.status_code < 300 and "json" in response.headers.get("Content-Type", ""):
        outside = {c for c in codes_in(response.json()) if not in_scope(c)}
        assert not outside, (case.method, case.formatted_path, outside)
