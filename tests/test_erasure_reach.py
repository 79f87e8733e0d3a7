"""Erasure that erases: cases walked through every stage with a distinct marker in every text field
(the intake, each stage's payloads, an edit's old and new values, a correction's reason, closure
notes), committed to a database of their own, then erased with both approvals. Afterwards no marker
is readable anywhere in the raw database — the SQLite file's bytes; on PostgreSQL every text, json
and bytea column of every table — and every chain still verifies.

What the statistics publish by (region, detaining authority, nationality, coded categories) stays in
clear by design and carries no marker here."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from caseflow.audit.verify import verify_database
from caseflow.db import write_intent
from caseflow.extensions import db
from caseflow.protection.operations import approve, propose_erasures
from caseflow.workflow.engine import fire
from tests import conftest
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, REVIEWERS, assessment_result, org_id

MARK = "zqx"


def m(name: str) -> str:
    """A marker long enough for any minimum length, found nowhere else."""
    return f"{MARK}{name}{MARK} written about this child"


INTAKE_TEXT = ("languages", "cercle", "commune", "encounter_place", "apprehending_unit", "facility_reference",
               "charges", "alleged_group", "association_roles", "protection_concerns", "consent_by")


def intake(tag: str) -> dict:
    values = {f: m(f"{tag}-{f}")[:60] for f in INTAKE_TEXT}
    return conftest.complete_intake(given_name=m(f"{tag}-given")[:60], family_name=m(f"{tag}-family")[:60],
                                    claimed_age=15, charge_category="terrorism", **values)


def votes(users, outcome, tag, category="support_tasks"):
    for name in REVIEWERS:
        yield name, {"outcome": outcome, "offence_category": category, "reasons": m(f"{tag}-vote-{name}")}


def walk_release(session, users, case):
    reg, rev = users["registrar"], users["reviewer.un"]
    fire(session, case, "submit_for_review", reg, {"comment": m("a-submit")})
    fire(session, case, "request_assessment", reg, {"reason_for_doubt": m("a-doubt"),
                                                    "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    fire(session, case, "record_assessment", users["assessor"],
         assessment_result(14, 17, consent_by=m("a-consent-by")[:60], findings=m("a-findings")))
    fire(session, case, "appeal_assessment", reg, {"grounds": m("a-grounds"),
                                                   "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    fire(session, case, "record_assessment", users["assessor"],
         assessment_result(14, 16, consent_by=m("a-consent-by2")[:60], findings=m("a-findings2")))
    fire(session, case, "recuse", users["reviewer.justice"], {"reason": m("a-recusal")})
    fire(session, case, "withdraw_recusal", users["reviewer.justice"], {"reason": m("a-withdrawal")})
    for name, vote in votes(users, "release", "a"):
        fire(session, case, "cast_vote", users[name], vote)
    fire(session, case, "decide_release", rev, {"reasons": m("a-decision"), "offence_category": "support_tasks",
                                                "receiving_org_id": org_id(session, PARTNER_ORG)})
    handover(session, users, case, "a")
    partner = users["partner"]
    fire(session, case, "start_reintegration", partner,
         {"service_type": "family_tracing", "provider": m("a-provider")[:60], "notes": m("a-notes"),
          "referred_on": conftest_today()})
    fire(session, case, "add_referral", partner,
         {"service_type": "education", "provider": m("a-provider2")[:60], "referred_on": conftest_today()})
    from caseflow.reintegration.models import Referral

    first = Referral.for_case(session, case.id)[0]
    fire(session, case, "update_referral", partner, {"referral_id": first.id, "status": "in_progress",
                                                     "notes": m("a-referral-update")})
    fire(session, case, "record_follow_up", partner, {"visit_date": conftest_today(), "visit_type": "home_visit",
                                                      "findings": m("a-follow-up"), "risk_level": "low"})
    fire(session, case, "edit_intake", users["registrar"], {"cercle": m("a-cercle-new")[:60]},
         expected_version=case.version)
    fire(session, case, "correct_record", users["registrar"], {"claimed_age": 14, "reason": m("a-correction")})
    fire(session, case, "close", partner, {"reason": "reintegrated", "notes": m("a-closure")})


def handover(session, users, case, tag):
    from caseflow.db import utcnow

    fire(session, case, "record_handover", users["partner"], {
        "handing_officer": m(f"{tag}-officer")[:60], "handing_unit": m(f"{tag}-unit")[:60],
        "receiving_person": m(f"{tag}-receiver")[:60], "handed_over_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "place": m(f"{tag}-place")[:60], "child_condition": m(f"{tag}-condition"), "medical_check": True,
        "medical_notes": m(f"{tag}-medical"), "document_reference": m(f"{tag}-docref")[:60]})


def walk_diversion(session, users, case):
    fire(session, case, "submit_for_review", users["registrar"], {})
    for name, vote in votes(users, "diversion", "b", "other_offence"):
        fire(session, case, "cast_vote", users[name], vote)
    fire(session, case, "decide_diversion", users["reviewer.un"], {
        "reasons": m("b-decision"), "offence_category": "other_offence", "child_consent": True,
        "guardian_consent": True, "consent_notes": m("b-consent-notes"),
        "receiving_org_id": org_id(session, PARTNER_ORG)})
    handover(session, users, case, "b")
    fire(session, case, "close", users["partner"], {"reason": "lost_contact", "notes": m("b-closure")})


def walk_justice(session, users, case):
    from caseflow.db import utcnow

    fire(session, case, "submit_for_review", users["registrar"], {})
    for name, vote in votes(users, "juvenile_justice", "c", "other_offence"):
        fire(session, case, "cast_vote", users[name], vote)
    fire(session, case, "decide_juvenile_justice", users["reviewer.un"], {
        "reasons": m("c-decision"), "offence_category": "other_offence",
        "offence_date": (case.encounter_at.date() - timedelta(days=3)).isoformat()})
    fire(session, case, "record_justice_transfer", users["registrar"], {
        "transferred_at": (utcnow() - timedelta(minutes=5)).isoformat(), "handing_officer": m("c-officer")[:60],
        "handing_unit": m("c-unit")[:60], "receiving_authority": "Tribunal pour enfants",  # published: no marker
        "facility_type": "juvenile_detention_centre", "facility_reference": m("c-facility")[:60]})
    fire(session, case, "close", users["registrar"], {"reason": "transferred", "notes": m("c-closure")})


def conftest_today() -> str:
    from caseflow import clock

    return clock.today().isoformat()


@pytest.fixture
def erasure_db(tmp_path_factory):
    database = conftest.TestDatabase(tmp_path_factory, "erasure")
    app = conftest.make_app(database)
    yield database, app
    app.extensions["caseflow.db"]["engine"].dispose()
    database.drop()


def raw_text(database, session) -> str:
    """What the database holds, as its files or as every text-like column, without the app."""
    if database.url.startswith("sqlite"):
        path = Path(database.url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()).decode("latin-1")
    out = []
    for table in inspect(session.get_bind()).get_table_names():
        for col in inspect(session.get_bind()).get_columns(table):
            kind = str(col["type"]).lower()
            if any(k in kind for k in ("char", "text", "json", "bytea")):
                out += [str(v) for (v,) in session.execute(text(f'SELECT "{col["name"]}"::text FROM "{table}"'))]  # noqa: S608
    return "\n".join(out)


def readable(database, session) -> list[str]:
    """The markers found in the raw database."""
    return sorted(set(re.findall(MARK + r"([\w.-]+?)" + MARK, raw_text(database, session))))


def test_the_search_finds_a_marker_left_in_clear(erasure_db):
    """The raw search itself: a marker written behind the application's back is found."""
    database, app = erasure_db
    with app.app_context():
        db.session.execute(text("UPDATE organisations SET name = :n WHERE id = (SELECT MIN(id) FROM organisations)"),
                           {"n": m("left")[:60]})
        db.commit()
        assert readable(database, db.session) == ["left"]


def test_an_erased_case_leaves_no_text_about_the_child_anywhere(erasure_db, clock):
    from sqlalchemy import select

    from caseflow.auth.models import User
    from caseflow.cases.models import Case
    from caseflow.cases.operations import register_case

    database, app = erasure_db
    with app.app_context():
        token = write_intent.set(True)
        try:
            session = db.session
            users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
            walks = (("a", walk_release), ("b", walk_diversion), ("c", walk_justice))
            codes = []
            for tag, walk in walks:
                case = register_case(session, intake(tag), users["registrar"], workflow="detained_child")
                walk(session, users, case)
                codes.append(case.code)
            db.commit()
            assert readable(database, session) == []  # sealed from the start: no row holds them in clear
            clock.advance(timedelta(days=1826))
            erasures = propose_erasures(session)
            assert len(erasures) == len(walks)
            for e in erasures:
                approve(session, e.id, users["auditor"])
                approve(session, e.id, users["admin"])
            db.commit()
            assert readable(database, session) == []
            report = verify_database(session)
            assert report.ok, [b.describe() for b in report.breaks][:3]
            assert set(codes) <= set(report.erased)
            for code in codes:
                case = session.scalar(select(Case).where(Case.code == code))
                assert case.cercle is None and case.charges is None and case.identity_erased
        finally:
            write_intent.reset(token)
