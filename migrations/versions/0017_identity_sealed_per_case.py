"""a child's identity sealed per case: a data key per case (wrapped by the master key), the identity
sealed with it, a blind index for searching by name, erasures approved by two people; the names and
date of birth leave the cases table

Revision ID: 0017
Revises: 0016

Cases registered before this revision have their identity moved and sealed here: run it through
``flask db upgrade`` (which knows the master key). The identifying parts of audit events written
before it stay as they were written (sealing them would rewrite the append-only log).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

FIELDS = ("given_name", "family_name", "other_names", "date_of_birth")


def upgrade() -> None:
    op.create_table('case_keys',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_keys_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_keys'))
    )
    op.create_table('case_identities',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_identities_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_identities'))
    )
    op.create_table('identity_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_identity_tokens_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_tokens'))
    )
    with op.batch_alter_table('identity_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_tokens_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_identity_tokens_token', ['token', 'case_id'], unique=False)
    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('due_since', sa.DateTime(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=True),
    sa.Column('auditor_at', sa.DateTime(), nullable=True),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('admin_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['admin_id'], ['users.id'], name=op.f('fk_erasures_admin_id_users')),
    sa.ForeignKeyConstraint(['auditor_id'], ['users.id'], name=op.f('fk_erasures_auditor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_erasures_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ux_erasures_pending_case', ['case_id'], unique=True,
                              postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
    _seal_existing()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in FIELDS:
            batch_op.drop_column(name)


def _seal_existing() -> None:
    """The identity of cases registered before: sealed with a new data key each, indexed."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, code, given_name, family_name, other_names, date_of_birth FROM cases "
                                "WHERE given_name IS NOT NULL OR family_name IS NOT NULL OR other_names IS NOT NULL "
                                "OR date_of_birth IS NOT NULL")).all()
    if not rows:
        return
    from flask import has_app_context

    if not has_app_context():
        raise RuntimeError("cases hold identities to seal: run this migration with `flask db upgrade`, "
                           "which knows the master key")
    import os
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from caseflow.sealing.identity import _encode, tokens_of
    from caseflow.sealing.keys import b64, keyring

    now = datetime.now(UTC).replace(tzinfo=None)
    for case_id, code, given, family, other, born in rows:
        values = {"given_name": given, "family_name": family, "other_names": other,
                  "date_of_birth": str(born)[:10] if born else None}
        values = {k: v for k, v in values.items() if v}
        raw = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        sealed = "c1." + b64(nonce + AESGCM(raw).encrypt(nonce, _encode(values), f"identity:{code}".encode()))
        bind.execute(sa.text("INSERT INTO case_keys (case_id, wrapped, created_at) VALUES (:c, :w, :t)"),
                     {"c": case_id, "w": keyring().seal(raw, f"casekey:{code}"), "t": now})
        bind.execute(sa.text("INSERT INTO case_identities (case_id, sealed) VALUES (:c, :s)"),
                     {"c": case_id, "s": sealed})
        for t in sorted(tokens_of(json.loads(_encode(values)))):
            bind.execute(sa.text("INSERT INTO identity_tokens (case_id, token) VALUES (:c, :t)"),
                         {"c": case_id, "t": t})


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('date_of_birth', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('other_names', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('family_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('given_name', sa.String(length=120), nullable=True))
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index('ux_erasures_pending_case')
        batch_op.drop_index(batch_op.f('ix_erasures_case_id'))
    op.drop_table('erasures')
    with op.batch_alter_table('identity_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_tokens_token')
        batch_op.drop_index(batch_op.f('ix_identity_tokens_case_id'))
    op.drop_table('identity_tokens')
    op.drop_table('case_identities')
    op.drop_table('case_keys')
