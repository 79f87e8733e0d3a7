"""One log over every chain, signed tree heads, consistency proofs and a witness outside the server:
what the database's operator does to the history, an auditor holding an earlier head (or a witness)
detects. The attacks are played as the database owner would (triggers lifted in the test's own
transaction; the application role cannot, see test_database_roles.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, text, update

from caseflow.audit.digest import check_against
from caseflow.audit.hashing import event_hash
from caseflow.audit.heads import SignedHead, head_statement
from caseflow.audit.log import events_for_chain
from caseflow.audit.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    verify_consistency,
    verify_inclusion,
)
from caseflow.audit.models import AuditEvent, ChainHead, LogLeaf, TreeHead
from caseflow.audit.publish import latest_head, publish
from caseflow.audit.signing import Signer, signer
from caseflow.audit.verify import verify_database
from caseflow.audit.witness import Alarm, FileSource, HttpSource, State, observe
from tests.helpers import submit, vote
from tests.test_audit import without_guards


def mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, word for word."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return leaf_hash(data[0])
    k = 1
    while k * 2 < len(data):
        k *= 2
    return node_hash(mth(data[:k]), mth(data[k:]))


# -- the arithmetic ------------------------------------------------------------------------------

def test_roots_frontiers_and_proofs_are_rfc_9162s():
    data = [os.urandom(7) for _ in range(40)]
    leaves = [leaf_hash(d) for d in data]
    frontier = Frontier()
    for n in range(41):
        assert range_hash(leaves, 0, n) == mth(data[:n]) == frontier.root, n
        for i in range(n):
            proof = inclusion_proof(i, leaves, 0, n)
            assert verify_inclusion(i, n, leaves[i], proof, mth(data[:n]))
            assert not verify_inclusion(i, n, leaf_hash(b"other"), proof, mth(data[:n]))
        if n < 40:
            frontier.append(leaves[n])
    again = Frontier.from_json(frontier.size, frontier.to_json())
    assert again.root == frontier.root


def test_consistency_proofs_hold_for_every_pair_and_fail_for_a_rewritten_prefix():
    data = [os.urandom(5) for _ in range(33)]
    leaves = [leaf_hash(d) for d in data]
    for m in range(1, 34):
        for n in range(m, 34):
            proof = consistency_proof(m, leaves, n)
            assert verify_consistency(m, n, mth(data[:m]), mth(data[:n]), proof), (m, n)
            rewritten = [*data[:m - 1], b"rewritten"]
            assert not verify_consistency(m, n, mth(rewritten), mth(data[:n]), proof), (m, n)
            if n > m:  # a shorter second tree, or the sizes swapped, never passes
                assert not verify_consistency(n, m, mth(data[:n]), mth(data[:m]), proof)
    assert verify_consistency(0, 5, b"", mth(data[:5]), [])


# -- the publisher -------------------------------------------------------------------------------

@pytest.fixture
def history(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    session.flush()
    return case


def test_publishing_takes_every_event_into_the_log_and_signs_its_head(session, history, users, make_case):
    first = publish(session).head
    total = session.scalar(select(func.count()).select_from(AuditEvent))
    assert first.tree_size == total == session.scalar(select(func.count()).select_from(LogLeaf))
    assert signer().verify(head_statement(first.tree_size, first.root, first.signed_at), first.signature)
    assert publish(session).head.tree_size == first.tree_size  # nothing new: the head stands
    vote(session, history, users)
    second = publish(session)
    assert second.added > 0 and second.head.tree_size == first.tree_size + second.added
    assert verify_database(session).ok
    token = SignedHead.of(first).token
    ok, _digest, _root = check_against(session, token)
    assert ok


def test_an_event_rewritten_after_a_head_breaks_the_log_and_the_kept_head(session, history):
    head = SignedHead.of(publish(session).head)
    ev = events_for_chain(session, history.code)[0]
    without_guards(session)
    # the owner rewrites the event AND re-hashes the whole chain and its head: the chains then agree
    # with themselves; the log, and the head an auditor kept, do not
    session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(details={"payload": {"x": "forged"}}))
    session.expire_all()
    prev = "0" * 64
    for e in events_for_chain(session, history.code):
        e.prev_hash = prev
        e.hash = event_hash(e)
        prev = e.hash
    session.flush()
    session.execute(update(ChainHead).where(ChainHead.chain == history.code).values(hash=prev))
    report = verify_database(session)
    problems = [b.problem for b in report.breaks]
    assert any(p.startswith("the leaf does not match its event") for p in problems)
    assert "the log no longer gives this signed tree head's root" in problems
    ok, _d, _r = check_against(session, head.token)
    assert not ok


def test_a_forged_event_is_held_back_from_the_log(session, history):
    publish(session)
    last = events_for_chain(session, history.code)[-1]
    forged = AuditEvent(chain=history.code, seq=last.seq + 1, occurred_at=last.occurred_at, actor_name="Forger",
                        action="close", case_id=history.id, details={}, ident_digest="", hash_version=2,
                        prev_hash=last.hash)
    forged.hash = event_hash(forged)
    session.add(forged)
    session.execute(update(ChainHead).where(ChainHead.chain == history.code).values(seq=forged.seq, hash=forged.hash))
    session.flush()
    pub = publish(session)
    assert history.code in pub.held_back and "not signed by the audit key" in pub.held_back[history.code]
    assert session.scalar(select(LogLeaf).where(LogLeaf.event_id == forged.id)) is None


def test_tree_heads_cannot_be_changed_by_the_application(session, history):
    publish(session)
    for sql in ("UPDATE audit_tree_heads SET root = 'x'", "DELETE FROM audit_tree_heads",
                "UPDATE audit_log_leaves SET leaf_hash = 'x'", "DELETE FROM audit_log_leaves"):
        nested = session.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(sql))
        nested.rollback()


def test_the_owner_rolling_the_log_back_is_caught_by_the_kept_head(session, history, users):
    publish(session)
    vote(session, history, users)
    later = SignedHead.of(publish(session).head)
    _drop_log_guards(session)
    session.execute(delete(TreeHead).where(TreeHead.tree_size == later.tree_size))
    session.execute(delete(LogLeaf).where(LogLeaf.position >= later.tree_size - 1))
    ok, _d, _r = check_against(session, later.token)
    assert not ok


def _drop_log_guards(session):
    if session.get_bind().dialect.name == "sqlite":
        for table in ("audit_tree_heads", "audit_log_leaves"):
            for verb in ("update", "delete"):
                session.execute(text(f"DROP TRIGGER {table}_no_{verb}"))
    else:
        for table in ("audit_tree_heads", "audit_log_leaves"):
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


# -- the witness ---------------------------------------------------------------------------------

class Fixed:
    """A log as a witness sees it: heads signed by ``key``, proofs made from ``leaves``."""

    def __init__(self, key: Ed25519PrivateKey, data: list[bytes], when):
        self.key, self.leaves, self.when, self.sent = key, [leaf_hash(d) for d in data], when, []

    def latest(self):
        root = range_hash(self.leaves).hex()
        s = Signer(self.key, [self.key.public_key()])
        head = SignedHead(len(self.leaves), root, self.when, s.sign(head_statement(len(self.leaves), root, self.when)),
                          s.public)
        return head.as_json()

    def proof(self, first, second):
        return [h.hex() for h in consistency_proof(first, self.leaves, second)]

    def confirm(self, body):
        self.sent.append(body)


@pytest.fixture
def log_key():
    return Ed25519PrivateKey.generate()


def test_a_witness_accepts_a_log_that_grows_and_countersigns(tmp_path, log_key, clock):
    data = [os.urandom(4) for _ in range(9)]
    empty = State.load(tmp_path / "e.jsonl")  # a witness that first saw an empty log
    observe(empty, Fixed(log_key, [], clock.now()), "w")
    assert observe(State.load(tmp_path / "e.jsonl"), Fixed(log_key, data, clock.now()), "w").grew_by == 9
    state = State.load(tmp_path / "w.jsonl")
    src = Fixed(log_key, data[:5], clock.now())
    assert observe(state, src, "un-ohchr").previous is None
    src2 = Fixed(log_key, data, clock.now() + timedelta(minutes=5))
    seen = observe(State.load(tmp_path / "w.jsonl"), src2, "un-ohchr")
    assert seen.previous.tree_size == 5 and seen.grew_by == 4
    records = [json.loads(line) for line in (tmp_path / "w.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in records] == ["pinned", "seen", "seen"]
    assert src2.sent[0]["tree_size"] == 9 and src2.sent[0]["cosignature"]


def test_two_heads_of_one_size_with_different_roots_are_a_fork(tmp_path, log_key, clock):
    data = [os.urandom(4) for _ in range(6)]
    observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data, clock.now()), "w")
    other = [*data[:5], b"another history"]
    with pytest.raises(Alarm) as alarm:
        observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, other, clock.now() + timedelta(minutes=1)), "w")
    assert alarm.value.kind == "fork"
    assert json.loads((tmp_path / "w.jsonl").read_text().splitlines()[-1])["alarm"] == "fork"


def test_a_later_head_that_does_not_extend_the_last_is_a_fork(tmp_path, log_key, clock):
    data = [os.urandom(4) for _ in range(6)]
    observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data, clock.now()), "w")
    rewritten = [b"rewritten", *data[1:], os.urandom(4), os.urandom(4)]
    with pytest.raises(Alarm) as alarm:
        observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, rewritten, clock.now() + timedelta(minutes=1)), "w")
    assert alarm.value.kind == "fork"


def test_a_rollback_is_detected(tmp_path, log_key, clock):
    data = [os.urandom(4) for _ in range(8)]
    observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data, clock.now()), "w")
    with pytest.raises(Alarm) as alarm:
        observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data[:6], clock.now() + timedelta(minutes=1)), "w")
    assert alarm.value.kind == "rollback"
    with pytest.raises(Alarm) as alarm:  # the same head re-dated into the past
        observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data, clock.now() - timedelta(days=1)), "w")
    assert alarm.value.kind == "rollback"


def test_a_head_signed_by_another_key_is_refused(tmp_path, log_key, clock):
    data = [os.urandom(4) for _ in range(3)]
    observe(State.load(tmp_path / "w.jsonl"), Fixed(log_key, data, clock.now()), "w")
    with pytest.raises(Alarm) as alarm:
        observe(State.load(tmp_path / "w.jsonl"), Fixed(Ed25519PrivateKey.generate(), data + [b"x"], clock.now()), "w")
    assert alarm.value.kind == "signature"


def test_a_witness_over_the_api_and_its_confirmation_on_the_auditors_page(session, history, users, token, client,
                                                                         auth, tmp_path):
    def fetch(method, url, headers, data):
        path = url.removeprefix("http://caseflow.test")
        r = client.open(path, method=method, headers=headers, data=data)
        return r.status_code, r.get_data()

    auditor = token("auditor")["Authorization"].split()[1]
    source = HttpSource("http://caseflow.test/api/v1", auditor, fetch)
    assert client.post("/api/v1/audit/tree-heads", headers=token("auditor")).status_code == 200
    observe(State.load(tmp_path / "w.jsonl"), source, "ohchr-bamako")
    vote(session, history, users)
    session.commit()
    published = client.post("/api/v1/audit/tree-heads", headers=token("auditor")).get_json()
    assert published["added"] > 0
    seen = observe(State.load(tmp_path / "w.jsonl"), source, "ohchr-bamako")
    assert seen.head.tree_size == published["tree_size"] and seen.grew_by == published["added"]
    auth.login("auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert "ohchr-bamako" in page and "The head this log published" in page
    assert published["token"] in page


def test_the_api_refuses_what_it_cannot_prove(session, history, token, client):
    head = client.post("/api/v1/audit/tree-heads", headers=token("auditor")).get_json()
    size = head["tree_size"]
    assert client.get(f"/api/v1/audit/consistency?first={size}&second=1",
                      headers=token("auditor")).status_code == 422
    assert client.get(f"/api/v1/audit/consistency?first=1&second={2**70}", headers=token("auditor")).status_code == 422
    assert client.get(f"/api/v1/audit/consistency?first=3&second={size}", headers=token("auditor")).status_code == 422
    assert client.get("/api/v1/audit/tree-heads/latest", headers=token("registrar")).status_code == 403
    assert client.get(f"/api/v1/audit/tree-heads/{2**70}", headers=token("auditor")).status_code == 404
    bad = {"witness": "w", "witness_key": "A" * 43, "tree_size": size, "root": head["root"],
           "signed_at": head["signed_at"], "cosignature": "B" * 86}
    r = client.post("/api/v1/audit/witness-confirmations", json=bad, headers=token("auditor"))
    assert r.status_code == 422 and "cosignature" in r.get_json()["errors"]


def test_a_bundle_file_serves_a_witness_without_a_network_path(live_app, tmp_path):
    from tests.test_cli import run

    assert run(live_app, "audit", "heads").exit_code == 0
    bundle = tmp_path / "log.json"
    assert run(live_app, "audit", "bundle", str(bundle)).exit_code == 0
    state = tmp_path / "w.jsonl"
    first = run(live_app, "audit", "witness", str(bundle), "--state", str(state), "--name", "offline")
    assert first.exit_code == 0, first.output
    data = json.loads(bundle.read_text())
    raw = bytearray(base64.b64decode(data["leaf_hashes"]))
    raw[0] ^= 1  # one leaf changed: the bundle's leaves no longer give its signed root
    data["leaf_hashes"] = base64.b64encode(bytes(raw)).decode()
    bundle.write_text(json.dumps(data))
    again = run(live_app, "audit", "witness", str(bundle), "--state", str(state))
    assert again.exit_code == 2 and "ALARM (fork)" in again.output
    with pytest.raises(Alarm):  # the same tampered bundle, read directly
        FileSource(bundle)


def test_appending_forged_events_after_a_kept_head_is_caught(session, history, users):
    """The attack that passed `--against` before: an event appended after the kept head. Its head
    cannot be signed, and the publisher will not take it into the log."""
    kept = SignedHead.of(publish(session).head)
    last = events_for_chain(session, history.code)[-1]
    forged = AuditEvent(chain=history.code, seq=last.seq + 1, occurred_at=last.occurred_at + timedelta(hours=1),
                        actor_name="Forger", action="close", case_id=history.id, details={}, ident_digest="",
                        hash_version=2, prev_hash=last.hash)
    forged.hash = event_hash(forged)
    session.add(forged)
    session.execute(update(ChainHead).where(ChainHead.chain == history.code).values(seq=forged.seq, hash=forged.hash))
    session.flush()
    publish(session)
    assert check_against(session, kept.token)[0]  # what was kept is intact...
    report = verify_database(session)  # ...and the forgery after it is reported
    assert "the chain head's signature does not verify" in [b.problem for b in report.breaks]
    assert session.scalar(select(func.max(LogLeaf.position))) + 1 == latest_head(session).tree_size


def test_events_rewritten_and_rehashed_after_the_kept_head_are_caught(session, history, users):
    """The owner rewrites what happened after an auditor kept a head — re-hashing the chain and
    moving its head, all without the key: the chain head's signature and the later signed head show it."""
    kept = SignedHead.of(publish(session).head)
    vote(session, history, users)
    later = SignedHead.of(publish(session).head)
    assert later.tree_size > kept.tree_size
    without_guards(session)
    evs = events_for_chain(session, history.code)
    tail = [e for e in evs if e.action == "cast_vote"]
    assert tail
    session.execute(update(AuditEvent).where(AuditEvent.id == tail[-1].id)
                    .values(details={"payload": {"outcome": "detain"}}))
    session.expire_all()
    prev = None
    for e in events_for_chain(session, history.code):
        if prev is not None:
            e.prev_hash = prev
        e.hash = event_hash(e)
        prev = e.hash
    session.flush()
    session.execute(update(ChainHead).where(ChainHead.chain == history.code).values(hash=prev))
    problems = [b.problem for b in verify_database(session).breaks]
    assert "the chain head's signature does not verify" in problems
    assert "the log no longer gives this signed tree head's root" in problems
    assert not check_against(session, later.token)[0]


@pytest.mark.concurrency
def test_a_witness_over_the_network_and_two_publishers_at_once(live_app, live_server, tmp_path):
    """The witness command against the running server over HTTP (urllib, as on another machine);
    two publishers at the same moment take turns and sign one consistent log."""
    import threading

    from click.testing import CliRunner

    from caseflow.audit.commands import audit_witness
    from caseflow.audit.publish import proof_between
    from caseflow.auth.operations import create_token
    from caseflow.db import write_intent
    from caseflow.extensions import db
    from tests.test_concurrency import case_under_review_with_votes, committed

    token = committed(live_app, lambda s, users: create_token(s, users["auditor"], "witness", 1)[1])
    case_under_review_with_votes(live_app)
    heads, errors = [], []
    barrier = threading.Barrier(2)

    def publisher():
        try:
            with live_app.app_context():
                write_intent.set(True)
                barrier.wait()
                heads.append(SignedHead.of(publish(db.session).head))
                db.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    small, big = sorted(heads, key=lambda h: h.tree_size)
    with live_app.app_context():
        stored = {h.tree_size: h.root for h in db.session.scalars(select(TreeHead))}
        assert stored[small.tree_size] == small.root and stored[big.tree_size] == big.root  # neither lost
        assert signer().verify(small.statement, small.signature) and signer().verify(big.statement, big.signature)
        from caseflow.audit.merkle import verify_consistency

        proof = [bytes.fromhex(h) for h in proof_between(db.session, small.tree_size, big.tree_size)]
        assert verify_consistency(small.tree_size, big.tree_size, bytes.fromhex(small.root), bytes.fromhex(big.root),
                                  proof)
        assert verify_database(db.session).ok

    state = tmp_path / "witness.jsonl"
    args = [f"{live_server}/api/v1", "--state", str(state), "--name", "ohchr-bamako", "--token", token]
    first = CliRunner().invoke(audit_witness, args)
    assert first.exit_code == 0, first.output
    case_under_review_with_votes(live_app)
    with live_app.app_context():
        write_intent.set(True)
        publish(db.session)
        db.commit()
    second = CliRunner().invoke(audit_witness, args)
    assert second.exit_code == 0 and "consistently" in second.output, second.output
    bad = CliRunner().invoke(audit_witness, [*args[:-1], "not-a-token"])
    assert bad.exit_code == 1 and "cannot read the log" in bad.output


@pytest.mark.parametrize("field, value", [
    ("witness", "ohchr\x00bamako"), ("witness", "ohchr\ufffe"), ("tree_size", 2**70), ("tree_size", -1),
    ("signed_at", "20270229T120000.000000Z"), ("signed_at", "20261129T250000.000000Z"), ("root", "Z" * 64),
    ("cosignature", "!" * 86),
])
def test_a_hostile_confirmation_is_refused_and_nothing_kept(session, history, token, client, field, value):
    from caseflow.audit.models import WitnessConfirmation
    from caseflow.audit.witness import cosign_statement, public_of

    head = client.post("/api/v1/audit/tree-heads", headers=token("auditor")).get_json()
    key = Ed25519PrivateKey.generate()
    seen = SignedHead.from_json(head)
    body = {"witness": "ohchr", "witness_key": public_of(key), "tree_size": head["tree_size"], "root": head["root"],
            "signed_at": head["signed_at"],
            "cosignature": base64.urlsafe_b64encode(key.sign(cosign_statement(seen))).decode().rstrip("=")}
    ok = client.post("/api/v1/audit/witness-confirmations", json=body, headers=token("auditor"))
    assert ok.status_code == 201 and ok.get_json()["matches"] is True
    before = session.scalar(select(func.count()).select_from(WitnessConfirmation))
    r = client.post("/api/v1/audit/witness-confirmations", json=body | {field: value}, headers=token("auditor"))
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert session.scalar(select(func.count()).select_from(WitnessConfirmation)) == before
