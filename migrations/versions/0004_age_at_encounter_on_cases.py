"""age at encounter on cases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:07:12.332299
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_at_encounter', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('age_basis', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_age_at_encounter'), ['age_at_encounter'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_age_at_encounter'))
        batch_op.drop_column('age_basis')
        batch_op.drop_column('age_at_encounter')

