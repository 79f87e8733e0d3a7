"""age_estimated may be unknown: an unanswered question stays "Unknown", never "No"

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("age_estimated", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE cases SET age_estimated = false WHERE age_estimated IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("age_estimated", existing_type=sa.Boolean(), nullable=False)
