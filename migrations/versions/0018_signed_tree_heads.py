"""one append-only log over every chain (RFC 9162): each event's place in it, the signed tree heads,
and the witnesses' countersignatures; all three append-only by trigger, like the events

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_tree_heads',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('frontier', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_tree_heads'))
    )
    with op.batch_alter_table('audit_tree_heads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_tree_heads_signed_at'), ['signed_at'], unique=False)

    op.create_table('audit_witness_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('witness', sa.String(length=80), nullable=False),
    sa.Column('witness_key', sa.String(length=60), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('cosignature', sa.String(length=100), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['sent_by'], ['users.id'], name=op.f('fk_audit_witness_confirmations_sent_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_witness_confirmations'))
    )
    with op.batch_alter_table('audit_witness_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_witness_confirmations_witness'), ['witness'], unique=False)

    op.create_table('audit_log_leaves',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_log_leaves_event_id_audit_events')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_audit_log_leaves')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_log_leaves_event_id'))
    )
    append_only(TABLES)


TABLES = ("audit_log_leaves", "audit_tree_heads", "audit_witness_confirmations")


def append_only(tables) -> None:
    """The same guard as the events' (0002): UPDATE, DELETE and TRUNCATE refused."""
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION caseflow_audit_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION caseflow_audit_append_only()")
    else:
        for table in tables:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only ({verb} refused)'); END")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for name in (("no_update_delete", "no_truncate") if pg else ("no_update", "no_delete")):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}" + (f" ON {table}" if pg else ""))
    op.drop_table('audit_log_leaves')
    with op.batch_alter_table('audit_witness_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_witness_confirmations_witness'))

    op.drop_table('audit_witness_confirmations')
    with op.batch_alter_table('audit_tree_heads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_tree_heads_signed_at'))

    op.drop_table('audit_tree_heads')
