"""a recusal lasts for the case until it is withdrawn, with a reason

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


STANDING = sa.text("withdrawn_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('review_recusals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_review_recusals_round_id_reviewer_id', type_='unique')
    op.create_index('uq_review_recusals_standing', 'review_recusals', ['round_id', 'reviewer_id'], unique=True,
                    sqlite_where=STANDING, postgresql_where=STANDING)


def downgrade() -> None:
    op.drop_index('uq_review_recusals_standing', table_name='review_recusals')
    with op.batch_alter_table('review_recusals', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_review_recusals_round_id_reviewer_id', ['round_id', 'reviewer_id'])
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
