"""case facts for the period statistics; charge category

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 06:32:49.119625
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('receiving_org_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_facts_case_id_cases')),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_case_facts_event_id_audit_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_facts'))
    )
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.create_index('ix_case_facts_case_from', ['case_id', 'valid_from'], unique=False)
        batch_op.create_index('ix_case_facts_current', ['case_id'], unique=True, postgresql_where=sa.text('valid_to IS NULL'), sqlite_where=sa.text('valid_to IS NULL'))
        batch_op.create_index('ix_case_facts_period', ['valid_from', 'valid_to'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charge_category', sa.String(length=30), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_cases_charge_category_allowed'),
            "charge_category IS NULL OR charge_category IN ('association', 'terrorism', 'state_security', "
            "'weapons', 'ordinary', 'none')")



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_charge_category_allowed'), type_='check')
        batch_op.drop_column('charge_category')

    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_case_facts_period')
        batch_op.drop_index('ix_case_facts_current', postgresql_where=sa.text('valid_to IS NULL'), sqlite_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index('ix_case_facts_case_from')

    op.drop_table('case_facts')
