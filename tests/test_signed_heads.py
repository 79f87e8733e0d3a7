"""Signed chain heads and signed digests (Ed25519, the key outside the database): what the database's
operator can write, they cannot sign."""

from __future__ import annotations

import hashlib
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from caseflow.audit.digest import check_against, digest_at, tree_hash
from caseflow.audit.hashing import event_hash
from caseflow.audit.log import events_for_chain
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.audit.signing import Signer, head_message, signer
from caseflow.audit.verify import verify_database
from tests.helpers import submit
from tests.test_audit import without_guards


@pytest.fixture
def case(session, users, make_case):
    c = make_case()
    submit(session, c, users)
    session.flush()
    return c


def test_every_head_is_signed_as_it_moves(session, case):
    head = session.get(ChainHead, case.code)
    assert head.sig and signer().verify(head_message(case.code, head.seq, head.hash), head.sig)
    assert verify_database(session, case.code).ok


def test_a_forged_event_appended_with_its_head_moved_is_caught_by_the_signature(session, case):
    """The attack that passed every earlier check: a well-formed event dated after the kept digest,
    linked to the chain, its head moved to it — everything but the signature."""
    last = events_for_chain(session, case.code)[-1]
    forged = AuditEvent(chain=case.code, seq=last.seq + 1, occurred_at=last.occurred_at, actor_name="Forger",
                        action="close", case_id=case.id, from_state=case.state, to_state="closed",
                        details={"payload": {"reason": "escaped"}}, identifying=None, ident_digest="",
                        hash_version=1, prev_hash=last.hash)
    forged.hash = event_hash(forged)
    session.add(forged)
    session.execute(update(ChainHead).where(ChainHead.chain == case.code).values(seq=forged.seq, hash=forged.hash))
    session.expire_all()
    report = verify_database(session, case.code)
    assert not report.ok
    assert report.first_break.problem == "the chain head's signature does not verify"


def test_a_head_stripped_of_its_signature_is_reported(session, case):
    without_guards(session)
    session.execute(update(ChainHead).where(ChainHead.chain == case.code).values(sig=None))
    session.expire_all()
    report = verify_database(session, case.code)
    assert [b.problem for b in report.breaks] == ["the chain head is not signed"]


def test_a_signed_digest_verifies_and_a_forged_one_does_not(session, case):
    from caseflow.db import utcnow

    d = digest_at(session, utcnow())
    token = d.signed_token
    assert token.startswith("v2-")
    ok, _now, _root = check_against(session, token)
    assert ok
    head, root, sig = token.rsplit("-", 2)
    other_root = "0" * 64
    with pytest.raises(ValueError, match="signature"):
        check_against(session, f"{head}-{other_root}-{sig}")  # a root someone would like
    stranger = Signer(Ed25519PrivateKey.generate())
    from caseflow.audit.digest import statement

    forged = f"{head}-{root}-{stranger.sign(statement(d.at, root))}"
    with pytest.raises(ValueError, match="signature"):
        check_against(session, forged)  # signed, but not by a trusted key


def test_the_tree_hash_is_rfc_9162s():
    def mth(leaves):  # the RFC's recursive definition
        if not leaves:
            return hashlib.sha256(b"").digest()
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    for n in range(0, 20):
        leaves = [bytes([i]) * (i + 1) for i in range(n)]
        assert tree_hash(leaves) == mth(leaves), n
    # a leaf cannot pass for a node: the same 64 bytes hash differently as each
    a, b = hashlib.sha256(b"\x00a").digest(), hashlib.sha256(b"\x00b").digest()
    assert tree_hash([a + b]) != tree_hash([b"a", b"b"])


def test_production_without_a_key_says_so_and_signs_nothing(tmp_path, caplog, monkeypatch):
    from caseflow import create_app

    monkeypatch.delenv("CASEFLOW_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.delenv("CASEFLOW_AUDIT_SIGNING_KEY_FILE", raising=False)
    with caplog.at_level(logging.WARNING):
        app = create_app({"CASEFLOW_ENV": "production", "SECRET_KEY": "x" * 40, "MASTER_KEY": "A" * 43,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    assert any("NOT signed" in r.getMessage() for r in caplog.records)
    assert app.extensions["caseflow.signer"].enabled is False
    assert not (tmp_path / "audit-signing.key").exists()


def test_a_key_from_a_file_and_the_commands(tmp_path, monkeypatch):
    from caseflow import create_app

    app = create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "new-key", str(tmp_path / "k")])
    assert result.exit_code == 0 and (tmp_path / "k").stat().st_mode & 0o077 == 0
    public = result.output.strip()
    assert runner.invoke(args=["audit", "new-key", str(tmp_path / "k")]).exit_code != 0  # never overwritten
    monkeypatch.delenv("CASEFLOW_AUDIT_SIGNING_KEY", raising=False)  # the run's shared key (conftest)
    monkeypatch.setenv("CASEFLOW_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "k"))
    keyed = create_app({"CASEFLOW_ENV": "production", "SECRET_KEY": "x" * 40, "MASTER_KEY": "A" * 43, "DATABASE_URL": "sqlite://"})
    assert keyed.extensions["caseflow.signer"].public == public
    assert keyed.test_cli_runner().invoke(args=["audit", "public-key"]).output.strip() == public


def test_the_heads_table_has_no_unsigned_rows_after_appends(session, case):
    assert session.scalar(select(ChainHead).where(ChainHead.sig.is_(None), ChainHead.seq > 0)) is None
