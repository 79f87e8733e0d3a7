"""The audit trail: append-only in the database, hash-chained per case, tampering detected."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from caseflow.audit.digest import check_against, digest_at, merkle_root
from caseflow.audit.hashing import NotCanonical, canonical_json, event_hash
from caseflow.audit.log import events_for_chain, record
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.audit.signing import head_message, signer
from caseflow.audit.verify import verify_database, verify_events
from caseflow.db import is_sqlite, utcnow
from tests.helpers import opened, release, submit, vote


def without_guards(session):
    """Inside the test's transaction only: lift the append-only triggers to play the attacker (the
    database owner can; the application role cannot, see test_database_roles.py)."""
    if is_sqlite(session):
        for name in ("audit_events_no_update", "audit_events_no_delete", "audit_chain_heads_forward",
                     "audit_chain_heads_no_delete"):
            session.execute(text(f"DROP TRIGGER {name}"))
    else:
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        session.execute(text("ALTER TABLE audit_chain_heads DISABLE TRIGGER USER"))


@pytest.fixture
def case_with_history(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    vote(session, case, users)
    session.flush()
    return case


def chain(session, code):
    return events_for_chain(session, code)


class TestAppendOnly:
    def test_update_is_refused(self, session, case_with_history):
        ev = chain(session, case_with_history.code)[1]
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(action="forged"))

    def test_delete_is_refused(self, session, case_with_history):
        ev = chain(session, case_with_history.code)[1]
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ev.id})

    def test_wholesale_removal_is_refused(self, session, case_with_history):
        """TRUNCATE on PostgreSQL (with CASCADE, past the statistics' foreign key to the events); SQLite
        has none, and a DELETE of every row meets the same trigger."""
        statement = "DELETE FROM audit_events" if is_sqlite(session) else "TRUNCATE audit_events CASCADE"
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))


class TestChain:
    def test_a_fresh_chain_verifies(self, session, case_with_history):
        report = verify_database(session, case_with_history.code)
        assert report.ok and report.events == 5 and report.chains == 1
        evs = chain(session, case_with_history.code)
        assert [e.seq for e in evs] == [1, 2, 3, 4, 5]
        assert all(b.prev_hash == a.hash for a, b in zip(evs, evs[1:], strict=False))
        assert evs[0].prev_hash == "0" * 64

    def test_a_changed_field_in_a_middle_event_is_detected(self, session, case_with_history):
        evs = chain(session, case_with_history.code)
        without_guards(session)
        session.execute(update(AuditEvent).where(AuditEvent.id == evs[2].id)
                        .values(details={"payload": {"outcome": "defer"}}))
        session.expire_all()
        report = verify_database(session, case_with_history.code)
        assert not report.ok
        assert report.first_break.seq == 3 and "content was changed" in report.first_break.problem

    def test_a_changed_actor_is_detected(self, session, case_with_history):
        evs = chain(session, case_with_history.code)
        without_guards(session)
        session.execute(update(AuditEvent).where(AuditEvent.id == evs[1].id).values(actor_name="Someone Else"))
        session.expire_all()
        assert verify_database(session, case_with_history.code).first_break.seq == 2

    def test_a_deleted_middle_event_is_detected(self, session, case_with_history):
        evs = chain(session, case_with_history.code)
        without_guards(session)
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": evs[2].id})
        session.expire_all()
        report = verify_database(session, case_with_history.code)
        assert report.first_break.seq == 4 and "missing" in report.first_break.problem

    def test_swapped_events_are_detected(self, session, case_with_history):
        evs = chain(session, case_with_history.code)
        without_guards(session)
        (a_id, a_seq), (b_id, b_seq) = (evs[2].id, evs[2].seq), (evs[3].id, evs[3].seq)
        session.execute(update(AuditEvent).where(AuditEvent.id == a_id).values(seq=-1))
        session.execute(update(AuditEvent).where(AuditEvent.id == b_id).values(seq=a_seq))
        session.execute(update(AuditEvent).where(AuditEvent.id == a_id).values(seq=b_seq))
        session.expire_all()
        assert not verify_database(session, case_with_history.code).ok

    def test_a_forged_event_with_a_wrong_prev_hash_is_detected(self, session, case_with_history, users):
        code = case_with_history.code
        head = session.get(ChainHead, code)
        forged = AuditEvent(chain=code, seq=head.seq + 1, occurred_at=utcnow(), actor_id=users["auditor"].id,
                            actor_name="Forger", actor_role="auditor", actor_org="X", action="decide_release",
                            case_id=case_with_history.id, from_state="under_review", to_state="handover_pending",
                            details={}, ident_digest="", prev_hash="f" * 64, hash_version=1)
        forged.hash = event_hash(forged)
        session.add(forged)
        session.flush()
        report = verify_database(session, code)
        assert report.first_break.seq == head.seq + 1
        assert "previous hash" in report.first_break.problem

    def test_a_deleted_last_event_is_detected_by_the_heads_and_an_earlier_digest(self, session, case_with_history):
        code = case_with_history.code
        session.flush()
        earlier = digest_at(session, utcnow() + timedelta(seconds=1))
        evs = chain(session, code)
        last_voter = evs[-1].actor_id
        without_guards(session)
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": evs[-1].id})
        session.expire_all()
        report = verify_database(session, code)
        assert not report.ok and "ends earlier" in report.first_break.problem
        # an attacker who also rewinds the heads table cannot sign the rewound head...
        session.execute(update(ChainHead).where(ChainHead.chain == code)
                        .values(seq=evs[-2].seq, hash=evs[-2].hash))
        session.expire_all()
        report = verify_database(session, code)
        assert not report.ok and report.first_break.problem == "the chain head's signature does not verify"
        # ...one who also holds the signing key leaves every link intact, but the case record no
        # longer matches its history...
        sig = signer().sign(head_message(code, evs[-2].seq, evs[-2].hash))
        session.execute(update(ChainHead).where(ChainHead.chain == code).values(sig=sig))
        session.expire_all()
        report = verify_database(session, code)
        assert not report.ok and "differs from its history: version" in report.first_break.problem
        # ...and one who rewrites the case row too is still caught by the vote the deleted event made...
        session.execute(text("UPDATE cases SET version = version - 1 WHERE code = :c"), {"c": code})
        session.expire_all()
        report = verify_database(session, code)
        assert not report.ok and "differs from its history: votes of round 1" in report.first_break.problem
        # ...while one who removes that vote as well passes the chains and the records...
        session.execute(text("DELETE FROM review_votes WHERE voter_id = :v"), {"v": last_voter})
        session.expire_all()
        assert verify_database(session, code).ok
        # ...but not the digest an auditor kept, signed or not
        ok, now, expected = check_against(session, earlier.token)
        assert not ok and now.root != expected
        ok, now, expected = check_against(session, earlier.signed_token)
        assert not ok and now.root_v2 != expected

    def test_identifying_values_can_be_withheld_and_the_chain_still_verifies(self, session, users, make_case):
        case = make_case(given_name="Aminata")
        evs = chain(session, case.code)
        assert opened(session, evs[0])["values"]["given_name"] == "Aminata"
        assert "Aminata" not in canonical_json(evs[0].details).decode()

        class Withheld:
            def __init__(self, ev):
                self.__dict__.update({k: getattr(ev, k) for k in (
                    "chain", "seq", "occurred_at", "actor_id", "actor_name", "actor_role", "actor_org", "action",
                    "from_state", "to_state", "details", "ident_digest", "request_id", "client_addr",
                    "prev_hash", "hash", "case_id", "hash_version")})
                self.identifying = None

        assert verify_events([Withheld(e) for e in evs]).ok
        without_guards(session)
        session.execute(update(AuditEvent).where(AuditEvent.id == evs[0].id)
                        .values(identifying={"salt": "00", "values": {"given_name": "Someone"}}))
        session.expire_all()
        assert "identifying data was changed" in verify_database(session, case.code).first_break.problem


class TestDigest:
    def test_merkle_root_depends_on_every_leaf(self):
        leaves = [("a", 1, "11"), ("b", 2, "22"), ("c", 3, "33")]
        root = merkle_root(leaves)
        assert root == merkle_root(list(reversed(leaves)))
        assert root != merkle_root(leaves[:2])
        assert root != merkle_root([("a", 1, "11"), ("b", 2, "23"), ("c", 3, "33")])

    def test_a_digest_matches_itself_later(self, session, case_with_history):
        from caseflow.db import utcnow

        d = digest_at(session, utcnow())
        assert check_against(session, d.token)[0]
        assert d.token.startswith("v1-") and d.chains >= 1

    def test_a_bad_token_is_refused(self, session):
        with pytest.raises(ValueError, match="digest looks like"):
            check_against(session, "nonsense")


def test_floats_have_no_place_in_audit_content(session):
    with pytest.raises(NotCanonical):
        record(session, "x", details={"ratio": 0.5})


def test_system_chain_for_events_without_a_case(session, users):
    ev = record(session, "settings_changed", actor=users["admin"], details={"setting": "x"})
    assert ev.chain == "system" and ev.actor_role == "admin"
    assert ev.actor_org == users["admin"].organisation.name
    assert verify_database(session, "system").ok


def test_history_of_a_released_case_reads_in_words(client, auth, app, connection):
    from caseflow.extensions import db
    from tests.conftest import complete_intake

    with app.test_request_context():
        from caseflow.auth.models import User
        from caseflow.cases.operations import register_case

        u = {x.email.split("@")[0]: x for x in db.session.scalars(select(User))}
        case = register_case(db.session, complete_intake(), u["registrar"], workflow="detained_child")
        submit(db.session, case, u)
        release(db.session, case, u)
        db.commit()
        code = case.code
    auth.login("auditor")
    page = client.get(f"/cases/{code}").get_data(as_text=True)
    assert "Integrity verified" in page
    assert "Decide release and handover" in page and "Under joint review → Handover pending" in page
    assert "Release and handover to civilian child protection 3" in page  # the tally, in words


texts = st.text(max_size=30) | st.none()


@given(action=st.text(min_size=1, max_size=20), name=texts, org=texts, chain=st.text(min_size=1, max_size=12),
       details=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=12) | st.booleans() | st.none()),
       seq=st.integers(1, 10**9), actor_id=st.integers(0, 2**70) | st.none(), case_id=st.integers(1, 2**70),
       at=st.datetimes(timezones=st.just(UTC)))
def test_fast_event_bytes_equal_the_canonical_definition(action, name, org, chain, details, seq, actor_id, case_id,
                                                         at):
    """Ids past 2^31 and 2^63 (orjson writes 64 bits, the rest goes by hand), any text, any time."""
    from caseflow.audit.hashing import event_bytes, event_content

    ev = AuditEvent(chain=chain, seq=seq, occurred_at=at, actor_id=actor_id, actor_name=name, actor_role="reviewer",
                    actor_org=org, action=action, from_state=None, to_state="x\u00e9\"\\", details=details,
                    ident_digest="", request_id=None, client_addr="::1", prev_hash="0" * 64, case_id=case_id,
                    hash_version=2)
    assert event_bytes(ev) == canonical_json(event_content(ev))
    # as verification reads it: a row with the details as stored text and the time as the database
    # writes it (or, in another shape, ignored for the time itself)
    from types import SimpleNamespace

    from caseflow.audit.hashing import format_ts

    columns = {c.name: getattr(ev, c.name) for c in AuditEvent.__table__.columns if c.name != "details"}
    for at_text in (format_ts(at), format_ts(at)[:19] + "Z", ""):
        row = SimpleNamespace(**columns, details_json=canonical_json(details).decode(), at_text=at_text or None)
        assert event_bytes(row) == canonical_json(event_content(ev)), at_text


def test_the_auditor_sees_the_digest_and_verifies_everything(client, auth, session, case_with_history):
    session.commit()
    auth.login("auditor")
    assert "No tree head has been published yet" in client.get("/audit/").get_data(as_text=True)
    r = client.post("/audit/publish", data={"csrf_token": auth.token("/audit/")}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Signed tree head published" in page
    token = __import__("re").search(r"sth1-\d+-\d{8}T[\d.]+Z-[0-9a-f]{64}-[\w-]{86}", page).group(0)
    r = client.post("/audit/", data={"csrf_token": auth.token("/audit/"), "against": token})
    page = r.get_data(as_text=True)
    assert "All chains verified" in page and "The earlier head matches" in page
    without_guards(session)
    from tests.test_transparency_log import _drop_log_guards

    _drop_log_guards(session)
    evs = chain(session, case_with_history.code)
    session.execute(text("DELETE FROM audit_log_leaves WHERE event_id = :id"), {"id": evs[-1].id})
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": evs[-1].id})
    session.execute(update(ChainHead).where(ChainHead.chain == case_with_history.code)
                    .values(seq=evs[-2].seq, hash=evs[-2].hash))
    session.commit()
    r = client.post("/audit/", data={"csrf_token": auth.token("/audit/"), "against": token})
    assert "does NOT match" in r.get_data(as_text=True)


def test_only_auditors_open_the_integrity_page(client, auth):
    auth.login("reviewer.un")
    assert client.get("/audit/").status_code == 403


def test_a_case_row_changed_behind_the_applications_back_is_reported(session, case_with_history):
    """UPDATE cases SET state = 'closed', or a version moved: the replay of the chain names the field."""
    code = case_with_history.code
    assert verify_database(session, code).ok
    session.execute(text("UPDATE cases SET state = 'closed', closed_reason = 'other' WHERE code = :c"), {"c": code})
    session.expire_all()
    report = verify_database(session, code)
    assert not report.ok and report.first_break.problem.endswith("state")
    assert report.first_break.expected == "under_review" and report.first_break.found == "closed"
    session.execute(text("UPDATE cases SET state = 'under_review', closed_reason = NULL, version = version + 7 "
                         "WHERE code = :c"), {"c": code})
    session.expire_all()
    assert verify_database(session, code).first_break.problem.endswith("version")
    assert not verify_database(session).ok  # the whole database too


#: text whose code-point order is its UTF-16 order (below the surrogates), as audit keys are (ASCII)
bmp = st.text(alphabet=st.characters(max_codepoint=0xD7FF, exclude_categories=("Cs",)), max_size=12)


@given(action=st.text(min_size=1, max_size=20), name=texts, chain=st.text(min_size=1, max_size=12),
       details=st.dictionaries(bmp, st.integers(-10**12, 10**12) | st.text(max_size=12) | st.booleans() | st.none()
                               | st.lists(st.integers(0, 99), max_size=3)),
       seq=st.integers(1, 10**9), actor_id=st.integers(0, 10**6) | st.none(), case_id=st.integers(1, 2**31 - 1)
       | st.none(), version=st.sampled_from([1, 2]), at=st.datetimes(timezones=st.just(UTC)))
def test_the_canonical_bytes_are_rfc8785_and_injective(action, name, chain, details, seq, actor_id, case_id, version,
                                                       at):
    """The bytes hashed are RFC 8785 (JCS) bytes, and they decode back to exactly the fields that made
    them: two events that differ in any field never share their bytes (nor, but for SHA-256, their
    hash). Version 2 holds the case id and its own version inside."""
    import json

    import rfc8785

    from caseflow.audit.hashing import event_bytes, event_content

    ev = AuditEvent(chain=chain, seq=seq, occurred_at=at, actor_id=actor_id, actor_name=name, actor_role="reviewer",
                    actor_org=None, action=action, from_state=None, to_state="x", details=details, ident_digest="",
                    request_id=None, client_addr="::1", prev_hash="0" * 64, case_id=case_id, hash_version=version)
    content = event_content(ev)
    data = event_bytes(ev)
    assert data == canonical_json(content) == rfc8785.dumps(content)
    assert json.loads(data) == content  # decodes back: the encoding loses nothing, so it is injective
    assert ("case" in content) == (version == 2) and content["v"] == version


def test_a_changed_hash_version_or_case_id_shows(session, users, make_case):
    """Version 2 events hold their case and version inside the hash: a row moved to another case,
    or passed off as version 1, no longer verifies."""
    from sqlalchemy import text as sql

    case = make_case()
    session.flush()
    assert {e.hash_version for e in chain(session, case.code)} == {2}
    assert verify_database(session, case.code).ok
    for statement in ("UPDATE audit_events SET hash_version = 1 WHERE chain = :c AND seq = 1",
                      "UPDATE audit_events SET case_id = case_id + 1000 WHERE chain = :c AND seq = 1"):
        nested = session.begin_nested()
        without_guards(session)
        session.execute(sql(statement), {"c": case.code})
        report = verify_database(session, case.code)
        assert any("changed" in b.problem for b in report.breaks), statement
        nested.rollback()


def test_the_database_writes_each_time_as_the_hash_holds_it(session, make_case):
    """Verification reads each time as text written by the database (faster than Python): it must
    be the hash's own form, to the microsecond, on SQLite and PostgreSQL alike."""
    from caseflow.audit.hashing import format_ts
    from caseflow.audit.verify import stream_events

    case = make_case()
    session.flush()
    rows = list(stream_events(session, case.code))
    assert rows and all(r.at_text == format_ts(r.occurred_at) for r in rows)
    assert any(r.occurred_at.microsecond for r in rows)


def test_the_apis_verdict_speaks_the_readers_language(client, token, session, case_with_history):
    """An auditor who reads French gets the first break in French (``first_break`` stays the stable
    English key)."""
    code = case_with_history.code
    session.execute(text("UPDATE cases SET state = 'closed', closed_reason = 'other' WHERE code = :c"), {"c": code})
    session.commit()
    from caseflow.auth.models import User

    verdicts, hdr = {}, token("auditor")
    for lang in ("en", "fr"):
        session.execute(update(User).where(User.email == "auditor@caseflow.demo").values(locale=lang))
        session.commit()
        verdicts[lang] = client.get(f"/api/v1/audit/verify?case={code}", headers=hdr).get_json()
    assert not verdicts["fr"]["ok"] and verdicts["fr"]["first_break"] == verdicts["en"]["first_break"]
    assert verdicts["en"]["first_break_in_words"].startswith(f"case {code}, event ")
    assert verdicts["fr"]["first_break_in_words"].startswith(f"dossier {code}, événement ")
    assert verdicts["fr"]["first_break_in_words"] != verdicts["en"]["first_break_in_words"]


db_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None)
@given(action=db_texts.filter(bool), name=db_texts | st.none(), org=db_texts | st.none(),
       details=st.dictionaries(db_texts, st.integers(-2**70, 2**70) | db_texts | st.booleans() | st.none()),
       seq=st.integers(1, 2**31 - 1), case_id=st.integers(1, 2**31 - 1) | st.none(), version=st.sampled_from([1, 2]),
       at=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 1, 1), timezones=st.just(UTC)))
def test_the_database_writes_each_events_canonical_bytes(session, action, name, org, details, seq, case_id, version,
                                                        at):
    """Verification hashes the canonical bytes the database writes from the columns as it reads them
    (``models.canonical_content``): on SQLite and PostgreSQL they are ``event_bytes``'s to the byte,
    for any text (controls, quotes, backslashes, any script), integers past 64 bits in the details,
    NULLs, a time on a whole second, both hash versions."""
    from caseflow.audit.hashing import event_bytes, event_content
    from caseflow.audit.models import canonical_content

    nested = session.begin_nested()
    ev = AuditEvent(chain="t-" + str(seq), seq=seq, occurred_at=at, actor_id=None, actor_name=name,
                    actor_role="reviewer", actor_org=org, action=action, from_state=None, to_state="x\u00e9\"\\\t",
                    details=details, ident_digest="", request_id=None, client_addr="::1", prev_hash="0" * 64,
                    case_id=case_id, hash_version=version, hash="0" * 64)
    session.add(ev)
    session.flush()
    stored = bytes(session.scalar(select(canonical_content()).where(AuditEvent.id == ev.id)))
    nested.rollback()
    assert stored == event_bytes(ev) == canonical_json(event_content(ev))


def test_details_stored_as_the_first_databases_wrote_them_still_verify(session, case_with_history):
    """Details stored before they were canonical (spaces, keys unsorted): the database's bytes do not
    match, so verification encodes that event again in Python, and it verifies; a changed value in
    such text does not."""
    code = case_with_history.code
    first = chain(session, code)[0]
    without_guards(session)
    loose = json.dumps(dict(reversed(list(first.details.items()))), indent=1)
    assert loose != canonical_json(first.details).decode()
    statement = text("UPDATE audit_events SET details = :t WHERE id = :i" if is_sqlite(session)
                     else "UPDATE audit_events SET details = CAST(:t AS json) WHERE id = :i")

    def store(details_text: str) -> None:
        session.execute(statement, {"t": details_text, "i": first.id})
        session.expire_all()

    store(loose)
    assert verify_database(session, code).ok
    store(loose.replace('"', '"x', 1))
    assert verify_database(session, code).first_break.problem == "event content was changed"


def test_a_reports_heads_as_of_a_time_read_from_the_heads_equal_those_read_from_the_events(session, users,
                                                                                          make_case, clock):
    """The report's label reads the heads table for the chains that stood still since its time and
    the events only of those that moved: the same heads as reading every event, as of any time."""
    from caseflow.audit.digest import digest_at, heads_as_of

    early = [make_case() for _ in range(3)]
    session.flush()
    clock.advance(timedelta(hours=1))
    middle = utcnow()
    clock.advance(timedelta(hours=1))
    submit(session, early[0], users)  # moved after the middle
    make_case()  # a chain that begins after it
    session.flush()
    clock.advance(timedelta(hours=1))
    for at in (middle, utcnow(), middle - timedelta(days=1)):
        quick, slow = sorted(heads_as_of(session, at, from_heads=True)), sorted(heads_as_of(session, at))
        assert quick == slow, at
        assert digest_at(session, at, from_heads=True, v2=False).token == digest_at(session, at).token
    assert len(heads_as_of(session, middle, from_heads=True)) == len(heads_as_of(session, utcnow())) - 1


def test_a_record_key_is_the_hmac_it_always_was():
    """Published figures are perturbed by each child's record key: the key must never change."""
    import hashlib
    import hmac

    from caseflow.reports.disclosure import record_key

    for secret in (b"s", b"another secret" * 9):
        for case_id in (1, 7, 2**31, 2**70):
            expected = hmac.new(secret, f"caseflow-record-key-v1:{case_id}".encode(), hashlib.sha256).digest()[0]
            assert record_key(secret, case_id) == expected


def _chain_of(session, name: str, times: list) -> list[AuditEvent]:
    """Events appended by hand, each hashed and linked, at the times given (as a clock never would)."""
    from caseflow.audit.models import GENESIS_HASH

    prev, out = GENESIS_HASH, []
    for seq, at in enumerate(times, 1):
        ev = AuditEvent(chain=name, seq=seq, occurred_at=at, actor_id=None, actor_name="x", actor_role=None,
                        actor_org=None, action="note", from_state=None, to_state=None, details={"n": seq},
                        ident_digest="", request_id=None, client_addr=None, prev_hash=prev, case_id=None,
                        hash_version=2)
        ev.hash = prev = event_hash(ev)
        session.add(ev)
        out.append(ev)
    session.flush()
    return out


def test_times_are_compared_as_times_whatever_shape_the_database_stored(session):
    """A time stored without its microseconds (a row written by hand, or by another tool) reads as
    ``…:00Z``, which as text sorts after ``…:00.5Z``: the order is checked as times, both ways."""
    from caseflow.audit.verify import verify_chains

    second = datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)  # a leap day, on a whole second
    _chain_of(session, "t-ahead", [second, second + timedelta(microseconds=500_000)])
    _chain_of(session, "t-back", [second + timedelta(microseconds=500_000), second])
    if is_sqlite(session):  # the stored text without microseconds (SQLAlchemy always writes them)
        without_guards(session)
        changed = session.execute(text("UPDATE audit_events SET occurred_at = substr(occurred_at, 1, 19) "
                                       "WHERE chain IN ('t-ahead', 't-back') AND occurred_at LIKE '%.000000'"))
        assert changed.rowcount == 2
        session.expire_all()
    assert verify_chains(session, "t-ahead").ok
    found = verify_chains(session, "t-back").first_break
    assert (found.seq, found.problem) == (2, "time goes backwards")


def test_an_event_no_version_can_encode_is_a_changed_event_not_an_error(session, case_with_history):
    """A hash version set to 9, or (SQLite, which keeps any text) details that are not JSON: audit verify
    names the event, and says in the reader's language that the records could not be read."""
    from flask_babel import force_locale

    code = case_with_history.code
    first = chain(session, code)[0]
    without_guards(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(hash_version=9))
    session.expire_all()
    found = verify_database(session, code).first_break
    assert (found.seq, found.problem) == (1, "event content was changed")
    assert verify_events(chain(session, code)).first_break.problem == "event content was changed"
    if is_sqlite(session):
        session.execute(text("UPDATE audit_events SET hash_version = 2, details = 'not json' WHERE id = :i"),
                        {"i": first.id})
        report = verify_database(session, code)
        assert (report.first_break.seq, report.first_break.problem) == (1, "event content was changed")
        unread = [b for b in report.breaks if b.problem.startswith("a record check could not read the history (")]
        assert unread and unread[0].chain == "-"
        with force_locale("fr"):
            assert unread[0].in_words() == ("les enregistrements : une vérification des enregistrements n'a pas pu "
                                            "lire l'historique")


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**80, 2**80) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=4), max_leaves=12)


@given(value=json_values)
def test_stored_json_reads_back_as_the_standard_library_reads_it(value):
    """JSON columns are read by orjson where it gives the same values: integers past 64 bits (which
    orjson would read as floats) and lone surrogates go the standard library's way."""
    from caseflow.canonical import parse

    stored = canonical_json(value).decode()
    assert parse(stored) == json.loads(stored) == value
    assert canonical_json(parse(stored)).decode() == stored  # no integer read back as a float, anywhere
    for odd in ('{"a":18446744073709551616}', '"\\ud800"', "[-9223372036854775809]", "[NaN]"):
        assert repr(parse(odd)) == repr(json.loads(odd))
