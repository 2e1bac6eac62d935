"""The inventory of writes that save an existing record (issue 16, finding 3: no silent overwrite).

- Every PUT and PATCH of the API answers 428 without If-Match and 412 on another client's version, as the
  OpenAPI document declares (the behaviour of each: tests/api/test_put_versions.py and the registry's tests).
- Every page whose form shows a record's values (a form given `initial=`) checks the version the form was
  based on (`fupin.core.versions`), but the forms listed here with their reason: those whose initial values
  are defaults for a new record, and the edit forms still without a version (what issue 16 leaves).

A new edit form or PUT without a version fails here, and so does a listed form that no longer needs its place.
"""

import ast
from pathlib import Path

from fupin.api import api

ROOT = Path(__file__).resolve().parents[2] / "fupin"

# Forms whose initial values are defaults for a record the form creates: nothing existing is overwritten.
CREATES = {
    ("declarations/views.py", "intake"): "a new declaration, the user's village proposed",
    ("funds/loan_views.py", "loan_apply_enterprise"): "a new enterprise loan, the county proposed",
    ("funds/loan_views.py", "risk_fund"): "a new deposit, this year proposed",
    ("monitoring/views.py", "signal_list"): "the sweep to start, this year proposed",
    ("monitoring/views.py", "case_create"): "a new monitored household, this year proposed",
    ("monitoring/views.py", "problem_create"): "a new problem, the user's region proposed",
    ("procedures/views.py", "batch_list"): "a new batch, this year proposed",
    ("registry/consent_views.py", "consent_record"): "a new consent, today and every scope proposed",
    ("registry/views.py", "member_add"): "a new member, the head's relation proposed",
    ("reports/views.py", "survey_entry"): "a new survey answer, this year and today proposed",
    ("changes/views.py", "_form"): "a new change request (or its resubmission, which its own status guards)",
    (
        "funds/loan_views.py",
        "_loan_context",
    ): "a loan's next step (repayment, extension…), guarded by its status",
}

# Edit forms of an existing record that still carry no version: a save on top of another user's overwrites it.
# None is left (issue 16, finding 3); a form added here needs its reason and a plan to version it.
UNVERSIONED: dict[tuple[str, str], str] = {}


def _forms_with_initial() -> dict[tuple[str, str], bool]:
    """(module, function) of every view that builds a form with `initial=` → whether it uses `versions`."""
    found = {}
    for path in sorted(ROOT.glob("*/*views*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            inner = list(ast.walk(node))
            if any(isinstance(n, ast.Call) and any(k.arg == "initial" for k in n.keywords) for n in inner):
                versioned = any(isinstance(n, ast.Name) and n.id == "versions" for n in inner)
                found[(str(path.relative_to(ROOT)), node.name)] = versioned
    return found


def test_every_put_and_patch_of_the_api_answers_428_without_its_version_and_412_on_another():
    operations = [
        (method.upper(), path, operation)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method, operation in methods.items()
        if method in ("put", "patch")
    ]
    assert len(operations) >= 9
    missing = [
        f"{method} {path}"
        for method, path, operation in operations
        if not {"412", "428"} <= {str(code) for code in operation["responses"]}
    ]
    assert not missing, f"writes without a version (VERSIONED, If-Match): {missing}"


def test_every_edit_form_carries_the_version_it_was_based_on():
    found = _forms_with_initial()
    unversioned = {where for where, versioned in found.items() if not versioned}
    unexplained = sorted(unversioned - set(CREATES) - set(UNVERSIONED))
    assert not unexplained, (
        f"forms showing a record's values without fupin.core.versions: {unexplained} "
        "(give them the hidden version, as procedures.views.procedure_settings does, or list them here)"
    )


def test_every_listed_form_still_needs_its_place():
    found = _forms_with_initial()
    stale = sorted(where for where in {**CREATES, **UNVERSIONED} if found.get(where, True))
    assert not stale, f"listed forms that are gone or now versioned: {stale}"
