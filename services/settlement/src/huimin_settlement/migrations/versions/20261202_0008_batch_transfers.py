"""The transfers each batch makes, planned when it is prepared: a person's trace is a look-up by key.

One row per batch, region, category and paying level: the line range it covers, its accounts, its
amount and the id the transfer is (or will be) written under. Before this revision a trace summed the
whole batch again (GROUP BY region and category) to find one person's transfers. Existing batches are
backfilled here from their lines, with the same derived ids and accounts their transfers already have.

Revision ID: 0008
Revises: 0007_events
Create Date: 2026-12-02
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ledger.rules.LEDGER_NAMESPACE and derived_transfer_id, frozen here: the ids transfers were written under
LEDGER_NAMESPACE = uuid.UUID("6f1f5a52-2c39-4c55-9a8e-5e1b0c8d7a10")
PAYERS = ("central", "province", "city", "district_or_county")

BLOCKS = """
SELECT l.batch_id, b.city_code, coalesce(a.kind, b.kind), l.region_code, l.category, min(l.line_no),
    max(l.line_no), sum(l.central), sum(l.province), sum(l.city), sum(l.district_or_county)
FROM batch_lines AS l JOIN batches AS b ON b.id = l.batch_id LEFT JOIN batches AS a ON a.id = b.adjusts_batch_id
GROUP BY l.batch_id, b.city_code, coalesce(a.kind, b.kind), l.region_code, l.category
"""


def upgrade() -> None:
    batch_transfers = op.create_table(
        "batch_transfers",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("payer_level", sa.String(length=20), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("line_first", sa.Integer(), nullable=False),
        sa.Column("line_last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_transfers_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"], ["accounts.id"], name=op.f("fk_batch_transfers_debit_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"], ["accounts.id"], name=op.f("fk_batch_transfers_credit_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint(
            "batch_id", "region_code", "category", "payer_level", name=op.f("pk_batch_transfers")
        ),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_batch_transfers_transfer_id")),
    )
    bind = op.get_bind()
    accounts = {
        code: account_id for code, account_id in bind.execute(sa.text("SELECT code, id FROM accounts"))
    }
    rows = []
    for batch_id, city, kind, region, category, first, last, *amounts in bind.execute(sa.text(BLOCKS)):
        fund = accounts.get(f"medical_assistance_fund:{city}")
        payee_type = "external_payee" if kind == "refunds" else "resident_insurance_fund"
        payee = accounts.get(f"{payee_type}:{city}")
        if fund is None or payee is None:  # a batch is only prepared once its city's chart is open
            continue
        for payer, amount in zip(PAYERS, amounts, strict=True):
            if amount == 0:
                continue
            forward = amount > 0
            rows.append(
                {
                    "batch_id": batch_id,
                    "region_code": region,
                    "category": category,
                    "payer_level": payer,
                    "transfer_id": uuid.uuid5(
                        LEDGER_NAMESPACE, "/".join(("batch", str(batch_id), region, category, payer))
                    ),
                    "debit_account_id": fund if forward else payee,
                    "credit_account_id": payee if forward else fund,
                    "amount": abs(amount),
                    "line_first": first,
                    "line_last": last,
                }
            )
    if rows:
        op.bulk_insert(batch_transfers, rows)


def downgrade() -> None:
    op.drop_table("batch_transfers")
