"""foundation, cases, stages and audit

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 19:08:31.495196
"""

import sqlalchemy as sa
from alembic import op

#: two checks on a case's state that 0015 moved into the workflow files (its downgrade puts these back)
CLOSED_HAS_REASON = "state <> 'closed' OR closed_reason IS NOT NULL"
HANDOVER_HAS_RECEIVER = ("state NOT IN ('handover_pending', 'handed_over', 'in_reintegration', 'diversion') "
                         "OR receiving_org_id IS NOT NULL")


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    op.create_table('case_code_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_code_counters')),
    sa.UniqueConstraint('prefix', 'year', name=op.f('uq_case_code_counters_prefix_year'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('government', 'un', 'partner_ngo', 'assessor')", name=op.f('ck_organisations_kind_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("locale IN ('en', 'fr')", name=op.f('ck_users_locale_allowed')),
    sa.CheckConstraint("role IN ('admin', 'registrar', 'reviewer', 'assessor', 'partner', 'auditor')", name=op.f('ck_users_role_allowed')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('actor_org', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=40), nullable=True),
    sa.Column('to_state', sa.String(length=40), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('identifying', sa.JSON(), nullable=True),
    sa.Column('ident_digest', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.Column('hash_version', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('chain', 'seq', name=op.f('uq_audit_events_chain_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('workflow', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('registering_org_id', sa.Integer(), nullable=False),
    sa.Column('receiving_org_id', sa.Integer(), nullable=True),
    sa.Column('given_name', sa.String(length=120), nullable=True),
    sa.Column('family_name', sa.String(length=120), nullable=True),
    sa.Column('other_names', sa.String(length=200), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('claimed_age', sa.Integer(), nullable=True),
    sa.Column('age_estimated', sa.Boolean(), nullable=False),
    sa.Column('nationality', sa.String(length=80), nullable=True),
    sa.Column('languages', sa.String(length=200), nullable=True),
    sa.Column('region', sa.String(length=80), nullable=True),
    sa.Column('cercle', sa.String(length=80), nullable=True),
    sa.Column('commune', sa.String(length=80), nullable=True),
    sa.Column('encounter_type', sa.String(length=30), nullable=True),
    sa.Column('encounter_at', sa.DateTime(), nullable=True),
    sa.Column('encounter_place', sa.String(length=200), nullable=True),
    sa.Column('apprehending_unit', sa.String(length=200), nullable=True),
    sa.Column('detaining_authority', sa.String(length=200), nullable=True),
    sa.Column('facility_type', sa.String(length=40), nullable=True),
    sa.Column('facility_reference', sa.String(length=80), nullable=True),
    sa.Column('separated_from_adults', sa.Boolean(), nullable=True),
    sa.Column('legal_counsel', sa.Boolean(), nullable=True),
    sa.Column('family_notified_at', sa.DateTime(), nullable=True),
    sa.Column('unicef_notified_at', sa.DateTime(), nullable=True),
    sa.Column('charges', sa.Text(), nullable=True),
    sa.Column('ill_treatment_reported', sa.Boolean(), nullable=True),
    sa.Column('custody_start', sa.DateTime(), nullable=True),
    sa.Column('custody_end', sa.DateTime(), nullable=True),
    sa.Column('alleged_group', sa.String(length=200), nullable=True),
    sa.Column('association_roles', sa.Text(), nullable=True),
    sa.Column('girl_mother', sa.Boolean(), nullable=True),
    sa.Column('protection_concerns', sa.Text(), nullable=True),
    sa.Column('consent_services', sa.Boolean(), nullable=True),
    sa.Column('consent_reporting', sa.Boolean(), nullable=True),
    sa.Column('consent_by', sa.String(length=200), nullable=True),
    sa.Column('closed_reason', sa.String(length=30), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('next_review_date', sa.Date(), nullable=True),
    sa.CheckConstraint("closed_reason IS NULL OR closed_reason IN ('reintegrated', 'determined_adult', 'transferred', 'lost_contact', 'deceased', 'other')", name=op.f('ck_cases_closed_reason_allowed')),
    sa.CheckConstraint("encounter_type IS NULL OR encounter_type IN ('captured', 'surrendered', 'escaped', 'released_by_group', 'arrested')", name=op.f('ck_cases_encounter_type_allowed')),
    sa.CheckConstraint("facility_type IS NULL OR facility_type IN ('civilian_infrastructure', 'informal_detention', 'intelligence_premises', 'juvenile_detention_centre', 'military_facility', 'prison', 'other')", name=op.f('ck_cases_facility_type_allowed')),
    sa.CheckConstraint("sex IS NULL OR sex IN ('female', 'male', 'unknown')", name=op.f('ck_cases_sex_allowed')),
    sa.CheckConstraint(CLOSED_HAS_REASON, name=op.f('ck_cases_closed_has_reason')),
    sa.CheckConstraint(HANDOVER_HAS_RECEIVER, name=op.f('ck_cases_handover_has_receiver')),
    sa.CheckConstraint('claimed_age IS NULL OR (claimed_age >= 0 AND claimed_age <= 30)', name=op.f('ck_cases_claimed_age_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_cases_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cases_created_by_id_users')),
    sa.ForeignKeyConstraint(['receiving_org_id'], ['organisations.id'], name=op.f('fk_cases_receiving_org_id_organisations')),
    sa.ForeignKeyConstraint(['registering_org_id'], ['organisations.id'], name=op.f('fk_cases_registering_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('code', name=op.f('uq_cases_code'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_detaining_authority'), ['detaining_authority'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_receiving_org_id'), ['receiving_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_registering_org_id'), ['registering_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sex'), ['sex'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('age_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason_for_doubt', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('assessor_org_id', sa.Integer(), nullable=False),
    sa.Column('is_appeal', sa.Boolean(), nullable=False),
    sa.Column('appeal_grounds', sa.Text(), nullable=True),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('consent', sa.String(length=10), nullable=True),
    sa.Column('consent_by', sa.String(length=200), nullable=True),
    sa.Column('guardian_present', sa.Boolean(), nullable=True),
    sa.Column('methods', sa.String(length=200), nullable=True),
    sa.Column('independence_declared', sa.Boolean(), nullable=True),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('explained_on', sa.Date(), nullable=True),
    sa.Column('appeal_deadline', sa.Date(), nullable=True),
    sa.CheckConstraint("consent IS NULL OR consent IN ('given', 'refused')", name=op.f('ck_age_assessments_consent_allowed')),
    sa.CheckConstraint("status <> 'concluded' OR (consent = 'refused') OR (min_age IS NOT NULL AND max_age IS NOT NULL)", name=op.f('ck_age_assessments_concluded_has_range')),
    sa.CheckConstraint("status IN ('requested', 'concluded')", name=op.f('ck_age_assessments_status_allowed')),
    sa.CheckConstraint('min_age IS NULL OR max_age IS NULL OR min_age <= max_age', name=op.f('ck_age_assessments_range_ordered')),
    sa.ForeignKeyConstraint(['assessor_id'], ['users.id'], name=op.f('fk_age_assessments_assessor_id_users')),
    sa.ForeignKeyConstraint(['assessor_org_id'], ['organisations.id'], name=op.f('fk_age_assessments_assessor_org_id_organisations')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_age_assessments_case_id_cases')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_age_assessments_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_age_assessments'))
    )
    with op.batch_alter_table('age_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_age_assessments_assessor_org_id'), ['assessor_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_age_assessments_case_id'), ['case_id'], unique=False)

    op.create_table('case_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_clocks_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_clocks'))
    )
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_clocks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_clocks_due_at'), ['due_at'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('visit_type', sa.String(length=20), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('risk_level', sa.String(length=10), nullable=False),
    sa.Column('next_visit_date', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("risk_level IN ('high', 'medium', 'low')", name=op.f('ck_follow_ups_risk_level_allowed')),
    sa.CheckConstraint("visit_type IN ('home_visit', 'phone', 'office', 'school')", name=op.f('ck_follow_ups_visit_type_allowed')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_follow_ups_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_follow_ups_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_case_id'), ['case_id'], unique=False)

    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('handing_officer', sa.String(length=200), nullable=False),
    sa.Column('handing_unit', sa.String(length=200), nullable=False),
    sa.Column('receiving_org_id', sa.Integer(), nullable=False),
    sa.Column('receiving_person', sa.String(length=200), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('child_condition', sa.Text(), nullable=False),
    sa.Column('medical_check', sa.Boolean(), nullable=False),
    sa.Column('medical_notes', sa.Text(), nullable=True),
    sa.Column('document_reference', sa.String(length=100), nullable=True),
    sa.Column('hours_since_encounter', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_handovers_case_id_cases')),
    sa.ForeignKeyConstraint(['receiving_org_id'], ['organisations.id'], name=op.f('fk_handovers_receiving_org_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_handovers_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers'))
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_case_id'), ['case_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.String(length=20), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("service_type IN ('interim_care', 'family_tracing', 'health', 'psychosocial', 'education', 'vocational', 'life_skills', 'legal_aid')", name=op.f('ck_referrals_service_type_allowed')),
    sa.CheckConstraint("status IN ('referred', 'accepted', 'in_progress', 'completed', 'declined')", name=op.f('ck_referrals_status_allowed')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_referrals_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)

    op.create_table('review_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_reasons', sa.Text(), nullable=True),
    sa.Column('offence_category', sa.String(length=20), nullable=True),
    sa.Column('next_review_date', sa.Date(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("decision IS NULL OR decision IN ('release', 'diversion', 'juvenile_justice', 'not_a_child', 'defer')", name=op.f('ck_review_rounds_decision_allowed')),
    sa.CheckConstraint("offence_category IS NULL OR offence_category IN ('association_only', 'support_tasks', 'other_offence')", name=op.f('ck_review_rounds_offence_category_allowed')),
    sa.CheckConstraint('closed_at IS NULL OR decision IS NOT NULL', name=op.f('ck_review_rounds_closed_has_decision')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_review_rounds_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_review_rounds_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_rounds')),
    sa.UniqueConstraint('case_id', 'number', name=op.f('uq_review_rounds_case_id_number'))
    )
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_rounds_case_id'), ['case_id'], unique=False)

    op.create_table('review_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_kind', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('offence_category', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('cast_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("offence_category IS NULL OR offence_category IN ('association_only', 'support_tasks', 'other_offence')", name=op.f('ck_review_votes_offence_category_allowed')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('release', 'diversion', 'juvenile_justice', 'not_a_child', 'defer')", name=op.f('ck_review_votes_outcome_allowed')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_review_votes_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_review_votes_round_id_review_rounds')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_review_votes_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_votes')),
    sa.UniqueConstraint('round_id', 'voter_id', name=op.f('uq_review_votes_round_id_voter_id'))
    )
    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_votes_round_id'), ['round_id'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_votes_round_id'))

    op.drop_table('review_votes')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_rounds_case_id'))

    op.drop_table('review_rounds')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handovers_case_id'))

    op.drop_table('handovers')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_case_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_clocks_due_at'))
        batch_op.drop_index(batch_op.f('ix_case_clocks_case_id'))

    op.drop_table('case_clocks')
    with op.batch_alter_table('age_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_age_assessments_case_id'))
        batch_op.drop_index(batch_op.f('ix_age_assessments_assessor_org_id'))

    op.drop_table('age_assessments')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_state'))
        batch_op.drop_index(batch_op.f('ix_cases_sex'))
        batch_op.drop_index(batch_op.f('ix_cases_registering_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_region'))
        batch_op.drop_index(batch_op.f('ix_cases_receiving_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_detaining_authority'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))

    op.drop_table('cases')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_case_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    op.drop_table('organisations')
    op.drop_table('case_code_counters')
    op.drop_table('audit_chain_heads')

