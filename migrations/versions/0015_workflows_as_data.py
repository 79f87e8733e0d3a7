"""workflows as data: a case runs on the version of its workflow it started on, keeps the fields only
its workflow records as JSON, and what a state requires of the record moves from CHECK constraints
into the workflow files (checked by the engine and by audit verify)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('screening_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('region', sa.String(length=80), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_screening_campaigns_dates_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_screening_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_campaigns')),
    sa.UniqueConstraint('code', name=op.f('uq_screening_campaigns_code'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('workflow_fields', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_cases_closed_has_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_cases_handover_has_receiver'), type_='check')


def downgrade() -> None:
    from alembic import context

    first = context.script.get_revision("0001").module  # the checks as 0001 wrote them, from there
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('workflow_fields')
        batch_op.drop_column('workflow_version')
        batch_op.create_check_constraint('closed_has_reason', first.CLOSED_HAS_REASON)
        batch_op.create_check_constraint('handover_has_receiver', first.HANDOVER_HAS_RECEIVER)
    op.drop_table('screening_campaigns')
