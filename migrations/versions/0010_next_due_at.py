"""next_due_at on cases: the earliest due date of a case's running clocks, indexed, so that the
overdue list is an index range (most overdue first) rather than a join over every running clock

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_cases_next_due", ["next_due_at", "id"], unique=False)
    op.execute("UPDATE cases SET next_due_at = (SELECT min(due_at) FROM case_clocks "
               "WHERE case_clocks.case_id = cases.id AND stopped_at IS NULL AND due_at IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_next_due")
        batch_op.drop_column("next_due_at")
