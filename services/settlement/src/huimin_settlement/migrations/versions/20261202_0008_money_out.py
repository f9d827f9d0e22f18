"""Money out (issue 16): own-share payments and withheld marginal lines (S3), carried batches, payee
accounts with maker-checker and their audit, per-person refund instructions and the refund suspense
account (B§四(四)).

Revision ID: 0008_money_out
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_money_out"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("state <> 'cancelled'")
_KEY = ["city_code", "year", "kind", "instalment", "assessment_id", "assessment_version", "adjusts_batch_id"]
_TYPES = (
    "'central_finance', 'province_finance', 'city_finance', 'district_finance', 'civil_affairs', "
    "'medical_assistance_fund', 'resident_insurance_fund', 'external_payee'"
)


def upgrade() -> None:
    op.create_table(
        "own_share_payments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("cover_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_own_share_payments_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_own_share_payments")),
        sa.UniqueConstraint(
            "id_number", "cover_year", "amount", "paid_on", name="uq_own_share_payments_natural"
        ),
    )
    op.create_index(
        "ix_own_share_payments_city_year", "own_share_payments", ["city_code", "cover_year"], unique=False
    )
    op.create_table(
        "payee_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("account_number", sa.String(length=34), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("holder_name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('bank_account', 'social_security_card')", name=op.f("ck_payee_accounts_known_kind")
        ),
        sa.CheckConstraint(
            "state IN ('proposed', 'active', 'superseded', 'rejected')",
            name=op.f("ck_payee_accounts_known_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_accounts")),
    )
    op.create_index(op.f("ix_payee_accounts_id_number"), "payee_accounts", ["id_number"], unique=False)
    op.create_index(
        "uq_payee_accounts_active",
        "payee_accounts",
        ["id_number"],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_index(
        "uq_payee_accounts_proposed",
        "payee_accounts",
        ["id_number"],
        unique=True,
        postgresql_where=sa.text("state = 'proposed'"),
    )
    op.create_table(
        "own_share_withheld",
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
        sa.Column("odd_fen", sa.SmallInteger(), nullable=True),
        sa.Column("paid_by", sa.Date(), nullable=False),
        sa.Column("carried_by_batch_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "central + province + city + district_or_county = amount",
            name=op.f("ck_own_share_withheld_by_payer_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["carried_by_batch_id"],
            ["batches.id"],
            name=op.f("fk_own_share_withheld_carried_by_batch_id_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "line_no", name=op.f("pk_own_share_withheld")),
    )
    op.create_index(
        op.f("ix_own_share_withheld_carried_by_batch_id"),
        "own_share_withheld",
        ["carried_by_batch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_own_share_withheld_id_number"), "own_share_withheld", ["id_number"], unique=False
    )
    op.create_table(
        "payee_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("payee_account_id", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["payee_account_id"],
            ["payee_accounts.id"],
            name=op.f("fk_payee_events_payee_account_id_payee_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_events")),
    )
    op.create_index(op.f("ix_payee_events_id_number"), "payee_events", ["id_number"], unique=False)
    op.create_index(
        op.f("ix_payee_events_payee_account_id"), "payee_events", ["payee_account_id"], unique=False
    )
    op.create_table(
        "refund_instructions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("payee_account_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('sent', 'paid', 'returned', 'awaiting_account')",
            name=op.f("ck_refund_instructions_known_state"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_instructions_amount_positive")),
        sa.CheckConstraint(
            "central + province + city + district_or_county = amount",
            name=op.f("ck_refund_instructions_by_payer_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_refund_instructions_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["payee_account_id"],
            ["payee_accounts.id"],
            name=op.f("fk_refund_instructions_payee_account_id_payee_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_instructions")),
        sa.UniqueConstraint("batch_id", "line_no", "attempt", name="uq_refund_instructions_attempt"),
    )
    op.create_index(
        "ix_refund_instructions_batch_state", "refund_instructions", ["batch_id", "state"], unique=False
    )
    op.create_index(
        op.f("ix_refund_instructions_id_number"), "refund_instructions", ["id_number"], unique=False
    )
    op.add_column(
        "batches", sa.Column("carry_no", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
    )
    op.drop_index("uq_batches_live_kind", table_name="batches", postgresql_where=_LIVE)
    op.create_index(
        "uq_batches_live_kind",
        "batches",
        [
            "city_code",
            "year",
            "kind",
            "instalment",
            "assessment_id",
            "assessment_version",
            "adjusts_batch_id",
            "carry_no",
        ],
        unique=True,
        postgresql_where=sa.text("state <> 'cancelled'"),
        postgresql_nulls_not_distinct=True,
    )
    op.drop_constraint(op.f("ck_accounts_known_type"), "accounts", type_="check")
    op.create_check_constraint(
        op.f("ck_accounts_known_type"), "accounts", f"type IN ({_TYPES}, 'refund_suspense')"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM balances WHERE account_id IN (SELECT id FROM accounts WHERE type = 'refund_suspense')"
    )
    op.execute("DELETE FROM accounts WHERE type = 'refund_suspense'")
    op.drop_constraint(op.f("ck_accounts_known_type"), "accounts", type_="check")
    op.create_check_constraint(op.f("ck_accounts_known_type"), "accounts", f"type IN ({_TYPES})")
    op.drop_index(
        "uq_batches_live_kind",
        table_name="batches",
        postgresql_where=sa.text("state <> 'cancelled'"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(
        "uq_batches_live_kind",
        "batches",
        _KEY,
        unique=True,
        postgresql_where=_LIVE,
        postgresql_nulls_not_distinct=True,
    )
    op.drop_column("batches", "carry_no")
    op.drop_index(op.f("ix_refund_instructions_id_number"), table_name="refund_instructions")
    op.drop_index("ix_refund_instructions_batch_state", table_name="refund_instructions")
    op.drop_table("refund_instructions")
    op.drop_index(op.f("ix_payee_events_payee_account_id"), table_name="payee_events")
    op.drop_index(op.f("ix_payee_events_id_number"), table_name="payee_events")
    op.drop_table("payee_events")
    op.drop_index(op.f("ix_own_share_withheld_id_number"), table_name="own_share_withheld")
    op.drop_index(op.f("ix_own_share_withheld_carried_by_batch_id"), table_name="own_share_withheld")
    op.drop_table("own_share_withheld")
    op.drop_index(
        "uq_payee_accounts_proposed",
        table_name="payee_accounts",
        postgresql_where=sa.text("state = 'proposed'"),
    )
    op.drop_index(
        "uq_payee_accounts_active", table_name="payee_accounts", postgresql_where=sa.text("state = 'active'")
    )
    op.drop_index(op.f("ix_payee_accounts_id_number"), table_name="payee_accounts")
    op.drop_table("payee_accounts")
    op.drop_index("ix_own_share_payments_city_year", table_name="own_share_payments")
    op.drop_table("own_share_payments")
