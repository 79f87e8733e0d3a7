"""list indexes

Each filter of the case list (and each remit: registering, receiving organisation) gets an index
(column, created_at, id), so a filtered page newest first is an index range, not a sort of every
match; the overdue list reads a partial index of running clocks by due date.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 04:50:40.969631
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_clocks_due_at'))
        batch_op.create_index('ix_case_clocks_running_due', ['due_at', 'case_id'], unique=False, postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_age_at_encounter'))
        batch_op.drop_index(batch_op.f('ix_cases_detaining_authority'))
        batch_op.drop_index(batch_op.f('ix_cases_receiving_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_region'))
        batch_op.drop_index(batch_op.f('ix_cases_registering_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_sex'))
        batch_op.drop_index(batch_op.f('ix_cases_state'))
        batch_op.create_index('ix_cases_age_at_encounter_created', ['age_at_encounter', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_detaining_authority_created', ['detaining_authority', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_receiving_org_id_created', ['receiving_org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_region_created', ['region', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_registering_org_id_created', ['registering_org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_sex_created', ['sex', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_state_created', ['state', 'created_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.create_index('ix_cases_created', ['created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_created')
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.drop_index('ix_cases_state_created')
        batch_op.drop_index('ix_cases_sex_created')
        batch_op.drop_index('ix_cases_registering_org_id_created')
        batch_op.drop_index('ix_cases_region_created')
        batch_op.drop_index('ix_cases_receiving_org_id_created')
        batch_op.drop_index('ix_cases_detaining_authority_created')
        batch_op.drop_index('ix_cases_age_at_encounter_created')
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sex'), ['sex'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_registering_org_id'), ['registering_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_receiving_org_id'), ['receiving_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_detaining_authority'), ['detaining_authority'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_age_at_encounter'), ['age_at_encounter'], unique=False)

    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_case_clocks_running_due', postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_case_clocks_due_at'), ['due_at'], unique=False)

