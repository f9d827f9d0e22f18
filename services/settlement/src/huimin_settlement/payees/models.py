"""Payee accounts per resident (a bank account or the social-security card's financial account) with
maker-checker changes, and their audit trail (B§四(四): refunds reach each person)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from huimin_settlement.db import Base


class PayeeAccount(Base):
    """One version of a resident's payee account. A change is proposed by one officer and approved by
    another; approval supersedes the active one. The number is never answered or logged in full."""

    __tablename__ = "payee_accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('bank_account', 'social_security_card')", name="known_kind"),
        CheckConstraint("state IN ('proposed', 'active', 'superseded', 'rejected')", name="known_state"),
        Index(
            "uq_payee_accounts_active", "id_number", unique=True, postgresql_where=text("state = 'active'")
        ),
        Index(
            "uq_payee_accounts_proposed",
            "id_number",
            unique=True,
            postgresql_where=text("state = 'proposed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(30))
    account_number: Mapped[str] = mapped_column(String(34))
    bank_name: Mapped[str] = mapped_column(String(100))
    holder_name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PayeeEvent(Base):
    """Audit: who proposed, approved, rejected or superseded which payee account, and when (masked)."""

    __tablename__ = "payee_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    payee_account_id: Mapped[int] = mapped_column(ForeignKey("payee_accounts.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
