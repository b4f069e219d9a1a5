"""Registry tables: areas, organisations, sites, services, bed pools, teams, workforce and their history.

Every fact carries a half-open validity period [start, end) (end NULL = still in effect; start NULL = not
known) and the `source` it came from.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from joinedup.db import Base

# "end" is an SQL keyword: it is quoted so the same constraint text works on SQLite and PostgreSQL.
PERIOD_CHECK = 'start IS NULL OR "end" IS NULL OR "end" > start'


class Dated:
    """A fact with a half-open validity period and a source."""

    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)

    @classmethod
    def in_effect(cls, on: date) -> ColumnElement[bool]:
        """SQL condition: the fact holds on `on` (an unknown start counts as 'since before records')."""
        return and_(
            or_(cls.start.is_(None), cls.start <= on),
            or_(cls.end.is_(None), cls.end > on),
        )


class Area(Base):
    """A county, city, unitary authority or other place that NHS bodies are responsible for."""

    __tablename__ = "areas"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    part_of_id: Mapped[str | None] = mapped_column("part_of", ForeignKey("areas.id"), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)


class Organisation(Dated, Base):
    """An NHS body, council, Healthwatch, GP practice or other provider; ODS code where one exists."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(PERIOD_CHECK, name="period"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    ods_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)


class Responsibility(Dated, Base):
    """Organisation X held role R for area A during the period (e.g. commissioner, regional board)."""

    __tablename__ = "responsibilities"
    __table_args__ = (
        UniqueConstraint("area", "organisation", "role", "start"),
        CheckConstraint(PERIOD_CHECK, name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[str] = mapped_column("area", ForeignKey("areas.id"), index=True)
    organisation_id: Mapped[str] = mapped_column("organisation", ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(80))

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class Succession(Base):
    """A predecessor body became (part of) a successor on a date: merge, split, rename or transfer."""

    __tablename__ = "successions"
    __table_args__ = (UniqueConstraint("predecessor", "successor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    predecessor_id: Mapped[str] = mapped_column("predecessor", ForeignKey("organisations.id"), index=True)
    successor_id: Mapped[str] = mapped_column("successor", ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)


class Site(Dated, Base):
    """A hospital, community hospital, unit or surgery: a place where care is given."""

    __tablename__ = "sites"
    __table_args__ = (CheckConstraint(PERIOD_CHECK, name="period"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    town: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(10))
    area_id: Mapped[str | None] = mapped_column("area", ForeignKey("areas.id"), index=True)


class SiteOperator(Dated, Base):
    """Which organisation ran a site during the period."""

    __tablename__ = "site_operators"
    __table_args__ = (
        UniqueConstraint("site", "organisation", "start"),
        CheckConstraint(PERIOD_CHECK, name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column("site", ForeignKey("sites.id"), index=True)
    organisation_id: Mapped[str] = mapped_column("organisation", ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class Service(Dated, Base):
    """A service given at a site (maternity, stroke, children's heart surgery...)."""

    __tablename__ = "services"
    __table_args__ = (CheckConstraint(PERIOD_CHECK, name="period"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    site_id: Mapped[str] = mapped_column("site", ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[str | None] = mapped_column(
        "organisation", ForeignKey("organisations.id"), index=True
    )


class BedPool(Base):
    """Beds of one setting and specialty at one site; its size over time lives in bed_capacity."""

    __tablename__ = "bed_pools"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    site_id: Mapped[str] = mapped_column("site", ForeignKey("sites.id"), index=True)
    setting: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)


class BedCapacity(Dated, Base):
    """A pool had `beds` beds during the period; a pool's periods never overlap."""

    __tablename__ = "bed_capacity"
    __table_args__ = (
        UniqueConstraint("pool", "start"),
        CheckConstraint("beds >= 0", name="beds_not_negative"),
        CheckConstraint(PERIOD_CHECK, name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[str] = mapped_column("pool", ForeignKey("bed_pools.id"), index=True)
    beds: Mapped[int] = mapped_column(Integer)


class Team(Dated, Base):
    """A team of an organisation, perhaps at a site or caring for a bed pool (e.g. a virtual ward team)."""

    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds_not_negative"),
        CheckConstraint(PERIOD_CHECK, name="period"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column("organisation", ForeignKey("organisations.id"), index=True)
    site_id: Mapped[str | None] = mapped_column("site", ForeignKey("sites.id"), index=True)
    pool_id: Mapped[str | None] = mapped_column("pool", ForeignKey("bed_pools.id"), index=True)
    beds: Mapped[int | None] = mapped_column(Integer)


# Exactly one scope: an organisation, a site, a bed pool or a team.
WORKFORCE_SCOPE_CHECK = (
    " + ".join(
        f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)"
        for column in ("organisation", "site", "pool", "team")
    )
    + " = 1"
)


class Workforce(Dated, Base):
    """Staff of one group (nurses, GPs...) in an organisation, site, pool or team, as FTE or headcount."""

    __tablename__ = "workforce"
    __table_args__ = (
        CheckConstraint(WORKFORCE_SCOPE_CHECK, name="one_scope"),
        CheckConstraint("fte IS NOT NULL OR headcount IS NOT NULL", name="has_figure"),
        CheckConstraint("fte IS NULL OR fte >= 0", name="fte_not_negative"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
        CheckConstraint(PERIOD_CHECK, name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str | None] = mapped_column(
        "organisation", ForeignKey("organisations.id"), index=True
    )
    site_id: Mapped[str | None] = mapped_column("site", ForeignKey("sites.id"), index=True)
    pool_id: Mapped[str | None] = mapped_column("pool", ForeignKey("bed_pools.id"), index=True)
    team_id: Mapped[str | None] = mapped_column("team", ForeignKey("teams.id"), index=True)
    staff_group: Mapped[str] = mapped_column(String(40))
    fte: Mapped[float | None] = mapped_column(Float)
    headcount: Mapped[int | None] = mapped_column(Integer)
