"""chain heads move forward only: a trigger refuses any UPDATE that does not advance a head, any
change of its chain, and any DELETE (and TRUNCATE on PostgreSQL)

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION caseflow_chain_head_forward() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq > OLD.seq THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'audit chain heads only move forward (% refused on %)', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("CREATE TRIGGER audit_chain_heads_forward BEFORE UPDATE OR DELETE ON audit_chain_heads "
                   "FOR EACH ROW EXECUTE FUNCTION caseflow_chain_head_forward()")
        op.execute("CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads "
                   "FOR EACH STATEMENT EXECUTE FUNCTION caseflow_audit_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_chain_heads_forward BEFORE UPDATE ON audit_chain_heads "
                   "WHEN NEW.chain <> OLD.chain OR NEW.seq <= OLD.seq "
                   "BEGIN SELECT RAISE(ABORT, 'audit chain heads only move forward'); END")
        op.execute("CREATE TRIGGER audit_chain_heads_no_delete BEFORE DELETE ON audit_chain_heads "
                   "BEGIN SELECT RAISE(ABORT, 'audit chain heads only move forward (DELETE refused)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_forward ON audit_chain_heads")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_no_truncate ON audit_chain_heads")
        op.execute("DROP FUNCTION IF EXISTS caseflow_chain_head_forward()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_forward")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_no_delete")
