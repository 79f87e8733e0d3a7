"""Schemathesis against the OpenAPI document, as several roles: no 5xx anywhere, and every response
matches the document (status codes, content types, bodies)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.audit.verify import verify_database
from caseflow.auth.operations import create_token
from caseflow.exports.operations import export_to_file
from caseflow.exports.verify import verify_export
from caseflow.exports.workbook import ExportFilters
from tests.helpers import release, submit

ROLES = ["registrar", "reviewer.un", "partner", "auditor"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_and_never_fails(app, session, users, tokens, role, tmp_path):
    ops = operations(app)
    assert len(ops) >= 10
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=10, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)

        fuzz()
    # whatever the run stored still exports, and everything verifies
    path = tmp_path / "after-fuzz.xlsx"
    export_to_file(session, users["auditor"], ExportFilters(), False, path)
    assert verify_export(path).ok and verify_database(session).ok
