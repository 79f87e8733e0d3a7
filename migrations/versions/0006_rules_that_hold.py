"""rules that hold: offence dates, superseded rounds, recusals, handover seconds, closure reasons

A round closed by new facts has no decision (superseded_at); closure has the reasons of any open
state; the handover keeps its elapsed seconds, so "late" is measured to the second.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:07:30.899690
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_REASONS = "'reintegrated', 'determined_adult', 'transferred', 'lost_contact', 'deceased', 'other'"
NEW_REASONS = ("'reintegrated', 'determined_adult', 'deceased', 'escaped', 'transferred', 'released_before_review', "
               "'aged_out', 'lost_contact', 'other'")


def upgrade() -> None:
    op.create_table('review_recusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recused_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_review_recusals_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_recusals_reviewer_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_review_recusals_round_id_review_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_recusals')),
    sa.UniqueConstraint('round_id', 'reviewer_id', name=op.f('uq_review_recusals_round_id_reviewer_id'))
    )
    with op.batch_alter_table('review_recusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_recusals_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('age_assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessed_on', sa.Date(), nullable=True))

    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Integer(), nullable=True))

    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offence_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_review_rounds_closed_has_decision'), type_='check')
        batch_op.create_check_constraint(
            'closed_has_decision', 'closed_at IS NULL OR decision IS NOT NULL OR superseded_at IS NOT NULL')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_closed_reason_allowed'), type_='check')
        batch_op.create_check_constraint('closed_reason_allowed', f"closed_reason IS NULL OR closed_reason IN ({NEW_REASONS})")



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_closed_reason_allowed'), type_='check')
        batch_op.create_check_constraint('closed_reason_allowed', f"closed_reason IS NULL OR closed_reason IN ({OLD_REASONS})")

    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_rounds_closed_has_decision'), type_='check')
        batch_op.create_check_constraint('closed_has_decision', 'closed_at IS NULL OR decision IS NOT NULL')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('offence_date')

    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_column('elapsed_seconds')

    with op.batch_alter_table('age_assessments', schema=None) as batch_op:
        batch_op.drop_column('assessed_on')

    with op.batch_alter_table('review_recusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_recusals_round_id'))

    op.drop_table('review_recusals')
