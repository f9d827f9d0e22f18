"""The ledger: accounts, balances, transfers, append-only entries, idempotency keys, batches,
assessment snapshots, funding runs, periods and schedule submissions — with the database-side
guarantees (POLICY.md S4): positive amounts and guarded balances by CHECK, entries append-only by
trigger, each transfer's entries summing to zero by a deferred constraint trigger, transfers whose
money fields never change, and closed periods refusing back-dated transfers.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GUARANTEES = [
    # Entries are append-only: a mistake is undone by a reversing transfer, never by an edit.
    """
    CREATE FUNCTION settlement_refuse_entry_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'entries are append-only: % refused; post a reversing transfer instead', TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
        FOR EACH ROW EXECUTE FUNCTION settlement_refuse_entry_change()
    """,
    """
    CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
        FOR EACH STATEMENT EXECUTE FUNCTION settlement_refuse_entry_change()
    """,
    # Each transfer's entries sum to zero, checked at commit when all its entries are written.
    """
    CREATE FUNCTION settlement_check_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        total numeric;
        gross numeric;
        expected numeric;
        transfer_state text;
    BEGIN
        SELECT coalesce(sum(amount), 0), coalesce(sum(abs(amount)), 0)
            INTO total, gross FROM entries WHERE transfer_id = NEW.transfer_id;
        SELECT amount, state INTO expected, transfer_state FROM transfers WHERE id = NEW.transfer_id;
        IF total <> 0 THEN
            RAISE EXCEPTION 'entries of transfer % sum to %, not zero', NEW.transfer_id, total
                USING ERRCODE = 'check_violation';
        END IF;
        IF gross <> 2 * expected OR transfer_state <> 'posted' THEN
            RAISE EXCEPTION 'entries of transfer % do not match a posted transfer of %', NEW.transfer_id, expected
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER entries_sum_to_zero AFTER INSERT ON entries
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION settlement_check_transfer_balanced()
    """,
    # A transfer's money never changes; only pending → posted or pending → voided, and never deleted.
    """
    CREATE FUNCTION settlement_guard_transfer_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'transfers are never deleted; void or reverse them' USING ERRCODE = 'restrict_violation';
        END IF;
        IF (NEW.id, NEW.debit_account_id, NEW.credit_account_id, NEW.amount, NEW.city_code, NEW.value_date,
            NEW.period, NEW.code) IS DISTINCT FROM
           (OLD.id, OLD.debit_account_id, OLD.credit_account_id, OLD.amount, OLD.city_code, OLD.value_date,
            OLD.period, OLD.code) THEN
            RAISE EXCEPTION 'transfer % : accounts, amount and dates are immutable', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.state <> OLD.state AND NOT (OLD.state = 'pending' AND NEW.state IN ('posted', 'voided')) THEN
            RAISE EXCEPTION 'transfer % cannot go from % to %', OLD.id, OLD.state, NEW.state
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER transfers_guard_update BEFORE UPDATE OR DELETE ON transfers
        FOR EACH ROW EXECUTE FUNCTION settlement_guard_transfer_update()
    """,
    # A closed period (year-end settlement done) refuses back-dated transfers.
    """
    CREATE FUNCTION settlement_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM periods WHERE city_code = NEW.city_code AND year = NEW.period
                   AND state = 'closed') THEN
            RAISE EXCEPTION 'period % of city % is closed; book an adjustment in the open period',
                NEW.period, NEW.city_code USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER transfers_open_period BEFORE INSERT ON transfers
        FOR EACH ROW EXECUTE FUNCTION settlement_refuse_closed_period()
    """,
]

DROP_GUARANTEES = [
    "DROP FUNCTION IF EXISTS settlement_refuse_closed_period() CASCADE",
    "DROP FUNCTION IF EXISTS settlement_guard_transfer_update() CASCADE",
    "DROP FUNCTION IF EXISTS settlement_check_transfer_balanced() CASCADE",
    "DROP FUNCTION IF EXISTS settlement_refuse_entry_change() CASCADE",
]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("area_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default=sa.text("'CNY'"), nullable=False),
        sa.Column("guarded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_accounts_currency_cny")),
        sa.CheckConstraint(
            "type IN ('central_finance', 'province_finance', 'city_finance', 'district_finance', 'civil_affairs', 'medical_assistance_fund', 'resident_insurance_fund', 'external_payee')",
            name=op.f("ck_accounts_known_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("city_code", "code", name=op.f("uq_accounts_city_code_code")),
    )
    op.create_table(
        "assessment_snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_snapshots")),
        sa.UniqueConstraint(
            "assessment_id", "version", name=op.f("uq_assessment_snapshots_assessment_id_version")
        ),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("instalment", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.Column("assessment_version", sa.Integer(), nullable=False),
        sa.Column("adjusts_batch_id", sa.Uuid(), nullable=True),
        sa.Column("previous_batch_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("control_total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("control_central", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("control_province", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("control_city", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("control_district_or_county", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("prepared_by", sa.String(length=200), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('dibao_collective', 'marginal_instalment', 'new_entrants', 'refunds', 'adjustment')",
            name=op.f("ck_batches_known_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('prepared', 'approved', 'reserved', 'executed', 'cancelled')",
            name=op.f("ck_batches_known_state"),
        ),
        sa.CheckConstraint(
            "control_central + control_province + control_city + control_district_or_county = control_total",
            name=op.f("ck_batches_control_by_payer_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["adjusts_batch_id"], ["batches.id"], name=op.f("fk_batches_adjusts_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["previous_batch_id"], ["batches.id"], name=op.f("fk_batches_previous_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(
        "uq_batches_live_kind",
        "batches",
        ["city_code", "year", "kind", "instalment", "assessment_id", "assessment_version"],
        unique=True,
        postgresql_where=sa.text("state <> 'cancelled'"),
    )
    op.create_table(
        "funding_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("basis", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pre_allocation', 'year_end_settlement')", name=op.f("ck_funding_runs_known_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_runs")),
        sa.UniqueConstraint("city_code", "year", "kind", name=op.f("uq_funding_runs_city_code_year_kind")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_idempotency_keys_key")),
    )
    op.create_table(
        "periods",
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), server_default=sa.text("'open'"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_periods_known_state")),
        sa.PrimaryKeyConstraint("city_code", "year", name=op.f("pk_periods")),
    )
    op.create_table(
        "schedule_submissions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "obligation IN ('monthly_change_report', 'december_enrolment', 'province_report')",
            name=op.f("ck_schedule_submissions_known_obligation"),
        ),
        sa.CheckConstraint("month BETWEEN 0 AND 12", name=op.f("ck_schedule_submissions_month_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_submissions")),
        sa.UniqueConstraint(
            "city_code",
            "year",
            "obligation",
            "month",
            name=op.f("uq_schedule_submissions_city_code_year_obligation_month"),
        ),
    )
    op.create_table(
        "assessment_groups",
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("age_group", sa.String(length=10), nullable=False),
        sa.Column("line_kind", sa.String(length=12), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["assessment_snapshots.id"],
            name=op.f("fk_assessment_groups_snapshot_id_assessment_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "snapshot_id",
            "region_code",
            "category",
            "age_group",
            "line_kind",
            name=op.f("pk_assessment_groups"),
        ),
    )
    op.create_table(
        "balances",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("guarded", sa.Boolean(), nullable=False),
        sa.Column("posted", sa.Numeric(precision=16, scale=2), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "pending_debits", sa.Numeric(precision=16, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "pending_credits", sa.Numeric(precision=16, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "NOT guarded OR posted - pending_debits >= 0",
            name=op.f("ck_balances_guarded_available_not_negative"),
        ),
        sa.CheckConstraint("pending_credits >= 0", name=op.f("ck_balances_pending_credits_not_negative")),
        sa.CheckConstraint("pending_debits >= 0", name=op.f("ck_balances_pending_debits_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_balances_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_balances")),
    )
    op.create_table(
        "batch_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_batch_events_batch_id_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_events")),
    )
    op.create_index(op.f("ix_batch_events_batch_id"), "batch_events", ["batch_id"], unique=False)
    op.create_table(
        "batch_lines",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("age_group", sa.String(length=10), nullable=False),
        sa.Column("line_kind", sa.String(length=12), nullable=False),
        sa.Column("adjusts_version", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("citation", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "central + province + city + district_or_county = amount",
            name=op.f("ck_batch_lines_by_payer_adds_up"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "line_no", name=op.f("pk_batch_lines")),
    )
    op.create_index(op.f("ix_batch_lines_id_number"), "batch_lines", ["id_number"], unique=False)
    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("citation", sa.String(length=200), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("cover_year", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("payer_level", sa.String(length=20), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("batch_line_first", sa.Integer(), nullable=True),
        sa.Column("batch_line_last", sa.Integer(), nullable=True),
        sa.Column("funding_run_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_transfer_id", sa.Uuid(), nullable=True),
        sa.Column("corrects_transfer_id", sa.Uuid(), nullable=True),
        sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "payer_level IS NULL OR payer_level IN ('central', 'province', 'city', 'district_or_county')",
            name=op.f("ck_transfers_known_payer_level"),
        ),
        sa.CheckConstraint("state IN ('pending', 'posted', 'voided')", name=op.f("ck_transfers_known_state")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_transfers_amount_positive")),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name=op.f("ck_transfers_distinct_accounts")
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_transfers_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["corrects_transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfers_corrects_transfer_id_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"], ["accounts.id"], name=op.f("fk_transfers_credit_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"], ["accounts.id"], name=op.f("fk_transfers_debit_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["funding_run_id"], ["funding_runs.id"], name=op.f("fk_transfers_funding_run_id_funding_runs")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfers_reverses_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("reverses_transfer_id", name=op.f("uq_transfers_reverses_transfer_id")),
    )
    op.create_index(op.f("ix_transfers_batch_id"), "transfers", ["batch_id"], unique=False)
    op.create_index(
        "ix_transfers_city_code_cover_year", "transfers", ["city_code", "cover_year"], unique=False
    )
    op.create_index(op.f("ix_transfers_credit_account_id"), "transfers", ["credit_account_id"], unique=False)
    op.create_index(op.f("ix_transfers_debit_account_id"), "transfers", ["debit_account_id"], unique=False)
    op.create_index(op.f("ix_transfers_funding_run_id"), "transfers", ["funding_run_id"], unique=False)
    op.create_index(
        "ix_transfers_pending_timeout",
        "transfers",
        ["timeout_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_entries_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_entries_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
    )
    op.create_index(op.f("ix_entries_account_id"), "entries", ["account_id"], unique=False)
    op.create_index(op.f("ix_entries_transfer_id"), "entries", ["transfer_id"], unique=False)
    op.create_table(
        "transfer_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=10), nullable=True),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_transfer_events_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_events")),
    )
    op.create_index(op.f("ix_transfer_events_transfer_id"), "transfer_events", ["transfer_id"], unique=False)
    for statement in GUARANTEES:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_GUARANTEES:
        op.execute(statement)
    op.drop_index(op.f("ix_transfer_events_transfer_id"), table_name="transfer_events")
    op.drop_table("transfer_events")
    op.drop_index(op.f("ix_entries_transfer_id"), table_name="entries")
    op.drop_index(op.f("ix_entries_account_id"), table_name="entries")
    op.drop_table("entries")
    op.drop_index(
        "ix_transfers_pending_timeout", table_name="transfers", postgresql_where=sa.text("state = 'pending'")
    )
    op.drop_index(op.f("ix_transfers_funding_run_id"), table_name="transfers")
    op.drop_index(op.f("ix_transfers_debit_account_id"), table_name="transfers")
    op.drop_index(op.f("ix_transfers_credit_account_id"), table_name="transfers")
    op.drop_index("ix_transfers_city_code_cover_year", table_name="transfers")
    op.drop_index(op.f("ix_transfers_batch_id"), table_name="transfers")
    op.drop_table("transfers")
    op.drop_index(op.f("ix_batch_lines_id_number"), table_name="batch_lines")
    op.drop_table("batch_lines")
    op.drop_index(op.f("ix_batch_events_batch_id"), table_name="batch_events")
    op.drop_table("batch_events")
    op.drop_table("balances")
    op.drop_table("assessment_groups")
    op.drop_table("schedule_submissions")
    op.drop_table("periods")
    op.drop_table("idempotency_keys")
    op.drop_table("funding_runs")
    op.drop_index(
        "uq_batches_live_kind", table_name="batches", postgresql_where=sa.text("state <> 'cancelled'")
    )
    op.drop_table("batches")
    op.drop_table("assessment_snapshots")
    op.drop_table("accounts")
