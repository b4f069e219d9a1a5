"""Daily bed census: how many beds of a pool were occupied on a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.db import Base


class CensusEntry(Base):
    """Occupied beds of one registry bed pool on one day (a repost of the same day replaces it)."""

    __tablename__ = "capacity_census"
    __table_args__ = (
        UniqueConstraint("pool_id", "census_date", name="uq_capacity_census_pool_day"),
        CheckConstraint("occupied >= 0", name="occupied_not_negative"),
        CheckConstraint("delayed >= 0", name="delayed_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # A registry bed pool id; the registry is the only owner of pools, so no copy is kept here.
    pool_id: Mapped[str] = mapped_column(String(80), index=True)
    census_date: Mapped[date] = mapped_column(Date, index=True)
    occupied: Mapped[int] = mapped_column(Integer)
    # Patients medically fit for discharge but still in a bed (delayed discharges).
    delayed: Mapped[int] = mapped_column(Integer, default=0)
    reported_by: Mapped[str] = mapped_column(String(120))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
