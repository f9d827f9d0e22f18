"""Who read whose figures (DRS-8): one row per person per read of their quote or assessment lines."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huimin_premium.db import Base


class ReadEntry(Base):
    __tablename__ = "read_log"
    __table_args__ = (Index("ix_read_log_id_number_at", "id_number", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reader: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(64))
