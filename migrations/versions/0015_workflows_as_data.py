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
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('workflow_fields', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_cases_closed_has_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_cases_handover_has_receiver'), type_='check')


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('workflow_fields')
        batch_op.drop_column('workflow_version')
