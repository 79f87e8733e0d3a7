"""What a database from before signed chain heads (migration 0014) needs once: a signed head on
every chain. Heads only move forward (a trigger refuses any other change), so a head is never signed
in place: each chain is verified from its first event, and then one event appended to it says so
(``chain_verified``: up to which link, with which hash), which moves the head, signed as every head
is now. A chain that does not verify gets no event, and ``audit verify`` goes on reporting it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.log import SYSTEM_CHAIN, record
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.audit.signing import signer
from caseflow.audit.verify import verify_chains


def sign_unsigned_heads(session: Session) -> tuple[list[str], list[str]]:
    """Returns (signed, refused) chain names; the caller commits."""
    if not signer().enabled:
        raise ValueError("no audit signing key is configured: heads cannot be signed")
    signed, refused = [], []
    heads = session.execute(select(ChainHead.chain, ChainHead.seq, ChainHead.hash)
                            .where(ChainHead.sig.is_(None), ChainHead.seq > 0).order_by(ChainHead.chain)).all()
    for chain, seq, digest in heads:
        report = verify_chains(session, chain)
        if not report.ok or report.heads != [(chain, seq, digest)]:
            refused.append(chain)
            continue
        if chain != SYSTEM_CHAIN:  # the system chain's is moved by the summary below
            case_id = session.scalar(select(AuditEvent.case_id).where(AuditEvent.chain == chain,
                                                                      AuditEvent.seq == seq))
            record(session, "chain_verified", chain=chain, case_id=case_id,
                   details={"verified_to": {"seq": seq, "hash": digest}})
        signed.append(chain)
    if signed or refused:
        record(session, "chain_heads_signed", details={"signed": len(signed), "refused": refused[:50]})
    return signed, refused
