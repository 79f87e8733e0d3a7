"""The log's signed tree heads, consistency proofs between them, and witnesses' countersignatures
(auditors; a witness runs with an auditor's token). See audit/publish.py and audit/witness.py."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from caseflow.api import schemas as out
from caseflow.api.auth import api_login_required
from caseflow.api.resources import blp, json_body, problems
from caseflow.audit.publish import (
    NoSigningKey,
    SignedHead,
    head_of_size,
    latest_head,
    proof_between,
    publish,
    record_confirmation,
)
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.policy import require
from caseflow.web import commit_before_answer


def _auditors_only() -> None:
    require(current_user, "verify_audit", _("Only auditors read and publish the log's signed heads."))


def _head_out(row, added: int = 0, held_back: int = 0) -> dict:
    return SignedHead.of(row).as_json() | {"added": added, "held_back": held_back}


@blp.route("/audit/tree-heads/latest")
@blp.response(200, out.SignedHeadOut)
@problems(403, 404)
@api_login_required
def latest_tree_head():
    """The latest signed tree head of the one log over every chain (auditors, witnesses)."""
    _auditors_only()
    row = latest_head(db.session)
    if row is None:
        raise NotFound(_("No tree head has been published yet."))
    return _head_out(row)


@blp.route("/audit/tree-heads/<int:size>")
@blp.response(200, out.SignedHeadOut)
@problems(403, 404)
@api_login_required
def tree_head(size):
    """The signed tree head published at this size."""
    _auditors_only()
    row = head_of_size(db.session, size) if size < 2**62 else None
    if row is None:
        raise NotFound(_("This log published no tree head of that size."))
    return _head_out(row)


@blp.route("/audit/tree-heads", methods=["POST"])
@blp.response(200, out.SignedHeadOut)
@problems(403, 422)
@api_login_required
def publish_tree_head():
    """Take the committed events into the log and sign a head now (the schedule does it every five
    minutes). Without new events, the latest head is returned."""
    _auditors_only()
    json_body(required=False)
    try:
        pub = publish(db.session)
    except NoSigningKey as exc:
        raise ValidationFailed(str(exc)) from None
    commit_before_answer()
    return _head_out(pub.head, pub.added, len(pub.held_back))


@blp.route("/audit/consistency")
@blp.arguments(out.ConsistencyQuery, location="query", as_kwargs=True)
@blp.response(200, out.ConsistencyOut)
@problems(403, 422)
@api_login_required
def consistency(first, second):
    """RFC 9162 §2.1.4 proof that the tree of size ``first`` is a prefix of the tree of size
    ``second``: both must be sizes of published heads, ``first`` ≤ ``second``."""
    _auditors_only()
    if first > second:
        msg = _("The first size must not be larger than the second.")
        raise ValidationFailed(msg, errors={"first": [msg]})
    for name, size in (("first", first), ("second", second)):
        if size and head_of_size(db.session, size) is None:
            msg = _("This log published no tree head of that size.")
            raise ValidationFailed(msg, errors={name: [msg]})
    return {"first": first, "second": second, "proof": proof_between(db.session, first, second)}


@blp.route("/audit/witness-confirmations", methods=["POST"])
@blp.arguments(out.WitnessConfirmationIn)
@blp.response(201, out.WitnessConfirmationOut)
@problems(403, 422)
@api_login_required
def witness_confirmation(data):
    """A witness's countersignature of the head it checked (``flask audit witness`` sends it)."""
    _auditors_only()
    row, matches = record_confirmation(db.session, data, current_user)
    commit_before_answer()
    return {"witness": row.witness, "tree_size": row.tree_size, "matches": matches}
