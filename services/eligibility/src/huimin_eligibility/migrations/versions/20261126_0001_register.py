"""The register: residents and their versions, bitemporal certifications, applications, imports, audit and read logs, signing keys

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:46:38.891718
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
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_entity_entity_id", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("mode IN ('partial', 'all_or_nothing')", name=op.f("ck_import_jobs_mode")),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed', 'rolled_back')", name=op.f("ck_import_jobs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_table(
        "read_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_log")),
    )
    op.create_index("ix_read_log_id_number_at", "read_log", ["id_number", "at"], unique=False)
    op.create_table(
        "residents",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id_number", name=op.f("pk_residents")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("purpose", name=op.f("uq_signing_keys_purpose")),
    )
    op.create_table(
        "certifications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("lineage", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "category IN ('dibao', 'marginal', 'low_income_elderly', 'severely_disabled')",
            name=op.f("ck_certifications_category"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_certifications_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["id_number"], ["residents.id_number"], name=op.f("fk_certifications_id_number_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
    )
    op.create_index(
        "ix_certifications_id_number_recorded_at",
        "certifications",
        ["id_number", "recorded_at"],
        unique=False,
    )
    op.create_index("ix_certifications_recorded_at", "certifications", ["recorded_at"], unique=False)
    op.create_index(
        "uq_certifications_current_lineage",
        "certifications",
        ["lineage"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "import_rows",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'rejected', 'unchanged')", name=op.f("ck_import_rows_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_rows_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("job_id", "row_number", name=op.f("pk_import_rows")),
    )
    op.create_table(
        "resident_versions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("household", sa.String(length=100), nullable=False),
        sa.Column("employee_insurance_since", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["id_number"], ["residents.id_number"], name=op.f("fk_resident_versions_id_number_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_versions")),
    )
    op.create_index(
        "ix_resident_versions_id_number_recorded_at",
        "resident_versions",
        ["id_number", "recorded_at"],
        unique=False,
    )
    op.create_index(
        "ix_resident_versions_region_code_community",
        "resident_versions",
        ["region_code", "community"],
        unique=False,
    )
    op.create_index(
        "uq_resident_versions_current",
        "resident_versions",
        ["id_number"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("household", sa.String(length=100), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("requested_from", sa.Date(), nullable=False),
        sa.Column("employee_insurance_since", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=1000), nullable=True),
        sa.Column("certification_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected')", name=op.f("ck_applications_status")
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> submitted_by", name=op.f("ck_applications_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_applications_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_status_region_code", "applications", ["status", "region_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_applications_status_region_code", table_name="applications")
    op.drop_table("applications")
    op.drop_index(
        "uq_resident_versions_current",
        table_name="resident_versions",
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_index("ix_resident_versions_region_code_community", table_name="resident_versions")
    op.drop_index("ix_resident_versions_id_number_recorded_at", table_name="resident_versions")
    op.drop_table("resident_versions")
    op.drop_table("import_rows")
    op.drop_index(
        "uq_certifications_current_lineage",
        table_name="certifications",
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_index("ix_certifications_recorded_at", table_name="certifications")
    op.drop_index("ix_certifications_id_number_recorded_at", table_name="certifications")
    op.drop_table("certifications")
    op.drop_table("signing_keys")
    op.drop_table("residents")
    op.drop_index("ix_read_log_id_number_at", table_name="read_log")
    op.drop_table("read_log")
    op.drop_table("import_jobs")
    op.drop_index("ix_audit_log_entity_entity_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
