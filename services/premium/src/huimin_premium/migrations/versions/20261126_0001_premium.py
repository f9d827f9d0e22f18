"""The premium service's tables: policy packs, assessments, their runs, versions, results, lines and totals.

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


def upgrade() -> None:
    op.create_table(
        "packs",
        sa.Column("pack_id", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("pack_id", "version", name=op.f("pk_packs")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pack_id", sa.String(length=48), nullable=False),
        sa.Column("pack_version", sa.Integer(), nullable=False),
        sa.Column("national_pack_version", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('annual', 'new_entrants', 'refunds')", name=op.f("ck_assessments_kind")),
        sa.ForeignKeyConstraint(
            ["pack_id", "pack_version"],
            ["packs.pack_id", "packs.version"],
            name=op.f("fk_assessments_pack_id_packs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("region", "year", "kind", name=op.f("uq_assessments_region_year_kind")),
    )
    op.create_table(
        "assessment_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("assessment_id", sa.UUID(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_listed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paid_hash", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_assessed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paid_unmatched", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'unchanged', 'failed')", name=op.f("ck_assessment_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_runs_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_runs")),
    )
    op.create_table(
        "assessment_paid",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assessment_runs.id"],
            name=op.f("fk_assessment_paid_run_id_assessment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "id_number", name=op.f("pk_assessment_paid")),
    )
    op.create_table(
        "assessment_results",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("age_group", sa.String(length=8), nullable=False),
        sa.Column("individual_contribution", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("assistance_subsidy", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("resident_pays", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assessment_runs.id"],
            name=op.f("fk_assessment_results_run_id_assessment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "id_number", name=op.f("pk_assessment_results")),
    )
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("assessment_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("resident_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_versions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assessment_runs.id"],
            name=op.f("fk_assessment_versions_run_id_assessment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint(
            "assessment_id", "version", name=op.f("uq_assessment_versions_assessment_id_version")
        ),
        sa.UniqueConstraint("run_id", name=op.f("uq_assessment_versions_run_id")),
    )
    op.create_table(
        "assessment_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("age_group", sa.String(length=8), nullable=False),
        sa.Column("line_kind", sa.String(length=16), nullable=False),
        sa.Column("adjusts_version", sa.Integer(), nullable=True),
        sa.Column("change", sa.String(length=16), nullable=True),
        sa.Column("individual_contribution", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("assistance_subsidy", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("resident_pays", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "change IS NULL OR change IN ('new', 'exited', 'reversal', 'replacement')",
            name=op.f("ck_assessment_lines_change"),
        ),
        sa.CheckConstraint(
            "line_kind IN ('regular', 'adjustment')", name=op.f("ck_assessment_lines_line_kind")
        ),
        sa.CheckConstraint(
            "central + province + city + district_or_county = assistance_subsidy",
            name=op.f("ck_assessment_lines_payers_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_lines_version_id_assessment_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_lines")),
    )
    op.create_index(
        "ix_assessment_lines_version_id_id", "assessment_lines", ["version_id", "id"], unique=False
    )
    op.create_index(
        "ix_assessment_lines_version_id_id_number",
        "assessment_lines",
        ["version_id", "id_number"],
        unique=False,
    )
    op.create_table(
        "assessment_totals",
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=24), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("individual_contribution", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("assistance_subsidy", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("resident_pays", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("central", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("province", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("city", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("district_or_county", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_totals_version_id_assessment_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "dimension", "key", name=op.f("pk_assessment_totals")),
    )


def downgrade() -> None:
    op.drop_table("assessment_totals")
    op.drop_index("ix_assessment_lines_version_id_id_number", table_name="assessment_lines")
    op.drop_index("ix_assessment_lines_version_id_id", table_name="assessment_lines")
    op.drop_table("assessment_lines")
    op.drop_table("assessment_versions")
    op.drop_table("assessment_results")
    op.drop_table("assessment_paid")
    op.drop_table("assessment_runs")
    op.drop_table("assessments")
    op.drop_table("packs")
