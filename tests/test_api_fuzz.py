"""Schemathesis against the OpenAPI document, as several roles, with every check it has: no 5xx
anywhere, and every response matches the document (status codes, content types, headers, bodies,
Allow on 405, authentication required, a missing required header refused, negative data refused).
The only failures allowed are the ones the README's "API contract" lists and explains: a 422 for a
request the document's JSON Schema cannot tell apart from a good one (a rule beyond the schema)."""

import contextvars

import pytest
import schemathesis
import schemathesis.checks as st_checks
from hypothesis import HealthCheck, given, settings
from schemathesis.openapi.checks import RejectedPositiveData

from caseflow.audit.verify import verify_database
from caseflow.auth.operations import create_token
from caseflow.exports.operations import export_to_file
from caseflow.exports.verify import verify_export
from caseflow.exports.workbook import ExportFilters
from tests.helpers import release, submit

ROLES = ["registrar", "reviewer.un", "partner", "auditor"]
st_checks.load_all_checks()
#: every check Schemathesis has but the stateful ones (they follow links the document does not declare)
CHECKS = [c for c in st_checks.CHECKS.get_all()
          if c.__name__ not in ("use_after_free", "ensure_resource_availability")]

#: (failure, operation): documented in the README ("API contract"), each a rule beyond JSON Schema
DOCUMENTED = {
    # text with a character no export can write (a control character, U+FFFE, U+FFFF): refused, 422
    (RejectedPositiveData, "GET /api/v1/cases"), (RejectedPositiveData, "GET /api/v1/exports/cases.xlsx"),
    (RejectedPositiveData, "GET /api/v1/audit/verify"), (RejectedPositiveData, "GET /api/v1/reports/period"),
    (RejectedPositiveData, "POST /api/v1/audit/witness-confirmations"),
    # an empty registration opens no case; a registration's facts must agree with each other
    (RejectedPositiveData, "POST /api/v1/cases"),
    # a tree head the log never published
    (RejectedPositiveData, "GET /api/v1/audit/consistency"),
}


def failures_of(exc: BaseException) -> list[BaseException]:
    return list(getattr(exc, "exceptions", None) or [exc])


@pytest.fixture
def tokens(session, users, make_case):
    # something to find: a released case in every role's remit
    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    made = {role: create_token(session, users[role], "fuzz", 1)[1] for role in ROLES}
    session.commit()
    return made


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def fuzzer(op, token: str, role: str, undocumented: list):
    """Ten examples of one operation as one role; what fails outside the documented list is kept."""
    auth = {"Authorization": f"Bearer {token}"}

    @given(case=op.as_strategy())
    @settings(max_examples=10, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        # each call in a context of its own, as each request of a real server is (no g shared)
        response = contextvars.Context().run(case.call, headers=auth)
        try:
            contextvars.Context().run(case.validate_response, response, checks=CHECKS, headers=auth)
        except BaseException as exc:  # noqa: BLE001 - a FailureGroup; sorted below: documented or not
            for failure in failures_of(exc):
                assert response.status_code < 500, failure  # a 5xx is never documented
                if (type(failure), op.label) not in DOCUMENTED:
                    undocumented.append(f"{op.label} as {role}: {type(failure).__name__}: {failure}")

    return fuzz


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_and_never_fails(app, session, users, tokens, role, tmp_path):
    ops = operations(app)
    assert len(ops) >= 10
    undocumented: list[str] = []
    for op in ops:
        fuzzer(op, tokens[role], role, undocumented)()
    assert not undocumented, "\n\n".join(undocumented[:5])
    # whatever the run stored still exports, and everything verifies
    path = tmp_path / "after-fuzz.xlsx"
    export_to_file(session, users["auditor"], ExportFilters(), False, path)
    assert verify_export(path).ok and verify_database(session).ok


def test_the_documented_exceptions_are_the_readmes():
    """Each documented exception names an operation the README's API contract lists."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    contract = readme[readme.index("### API contract"):]
    for _failure, label in DOCUMENTED:
        assert f"`{label}`" in contract, label
