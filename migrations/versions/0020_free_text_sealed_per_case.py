"""free text about a child sealed with the case's data key in every table (erasure reaches it)

Revision ID: 0020
Revises: 0019

The places, units, charges, reasons, findings, notes and names of people that the rows held in
clear are sealed here with their case's data key (a key is made for a case that had none; a case
already erased gets the master key, as anything written about it after the erasure). Run it through
``flask db upgrade``, which knows the master key. The events written before this revision keep their
details as they were written: rewriting them would rewrite the append-only log.
"""

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

#: table -> (its sealed columns, their former types, how a row reaches its case)
SEALED = {
    "cases": ({"languages": sa.String(200), "cercle": sa.String(80), "commune": sa.String(80),
               "encounter_place": sa.String(200), "apprehending_unit": sa.String(200),
               "facility_reference": sa.String(80), "charges": sa.Text(), "alleged_group": sa.String(200),
               "association_roles": sa.Text(), "protection_concerns": sa.Text(), "consent_by": sa.String(200)},
              "t.id"),
    "age_assessments": ({"reason_for_doubt": sa.Text(), "appeal_grounds": sa.Text(),
                         "consent_by": sa.String(200), "findings": sa.Text()}, "t.case_id"),
    "review_rounds": ({"decision_reasons": sa.Text()}, "t.case_id"),
    "review_votes": ({"reasons": sa.Text()}, "(SELECT r.case_id FROM review_rounds r WHERE r.id = t.round_id)"),
    "review_recusals": ({"reason": sa.Text(), "withdrawal_reason": sa.Text()},
                        "(SELECT r.case_id FROM review_rounds r WHERE r.id = t.round_id)"),
    "handovers": ({"handing_officer": sa.String(200), "handing_unit": sa.String(200),
                   "receiving_person": sa.String(200), "place": sa.String(200), "child_condition": sa.Text(),
                   "medical_notes": sa.Text(), "document_reference": sa.String(100)}, "t.case_id"),
    "referrals": ({"provider": sa.String(200), "notes": sa.Text()}, "t.case_id"),
    "follow_ups": ({"findings": sa.Text()}, "t.case_id"),
}


def upgrade() -> None:
    for table, (columns, _case) in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, old in columns.items():
                if not isinstance(old, sa.Text):
                    batch_op.alter_column(name, existing_type=old, type_=sa.Text())
    _seal_existing()


def _keys(bind):
    """case id -> (code, data key or None once erased), a key made for a case that had none."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from caseflow.sealing.keys import keyring

    now = datetime.now(UTC).replace(tzinfo=None)
    out = {}
    for case_id, code, wrapped, has_key in bind.execute(sa.text(
            "SELECT c.id, c.code, k.wrapped, k.case_id FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id")):
        if has_key is None:
            raw = AESGCM.generate_key(bit_length=256)
            bind.execute(sa.text("INSERT INTO case_keys (case_id, wrapped, created_at) VALUES (:c, :w, :t)"),
                         {"c": case_id, "w": keyring().seal(raw, f"casekey:{code}"), "t": now})
        else:
            raw = keyring().open(wrapped, f"casekey:{code}") if wrapped else None
        out[case_id] = (code, raw)
    return out


def _seal_existing() -> None:
    bind = op.get_bind()
    held = [(table, columns, case) for table, (columns, case) in SEALED.items()
            if bind.execute(sa.text(f"SELECT 1 FROM {table} t WHERE "  # noqa: S608 - names from this file
                                    + " OR ".join(f"t.{c} IS NOT NULL" for c in columns) + " LIMIT 1")).first()]
    if not held:
        return
    from flask import has_app_context

    if not has_app_context():
        raise RuntimeError("rows hold free text to seal: run this migration with `flask db upgrade`, "
                           "which knows the master key")
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from caseflow.sealing.keys import b64, keyring

    keys = _keys(bind)
    for table, columns, case in held:
        names = list(columns)
        rows = bind.execute(sa.text(f"SELECT t.id, {case}, " + ", ".join(f"t.{c}" for c in names)  # noqa: S608
                                    + f" FROM {table} t")).all()
        for row_id, case_id, *values in rows:
            code, raw = keys[case_id]
            sealed = {}
            for name, value in zip(names, values, strict=True):
                if value is None or str(value).startswith(("c1.", "s1.")):
                    continue
                context = f"{table}.{name}:{code}"
                if raw is None:
                    sealed[name] = keyring().seal(str(value).encode(), context)
                else:
                    nonce = os.urandom(12)
                    sealed[name] = "c1." + b64(nonce + AESGCM(raw).encrypt(nonce, str(value).encode(),
                                                                           context.encode()))
            if table == "cases" and values[names.index("facility_reference")] is not None:
                from caseflow.sealing.identity import reference_token

                bind.execute(sa.text("INSERT INTO identity_tokens (case_id, token) VALUES (:c, :t)"),
                             {"c": case_id, "t": reference_token(str(values[names.index("facility_reference")]))})
            if sealed:
                bind.execute(sa.text(f"UPDATE {table} SET " + ", ".join(f"{c} = :{c}" for c in sealed)  # noqa: S608
                                     + " WHERE id = :row_id"), {**sealed, "row_id": row_id})


def downgrade() -> None:
    raise RuntimeError("sealed text is not put back in clear: restore a backup taken before 0020")
