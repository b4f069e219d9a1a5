"""registry: areas, organisations, responsibilities, successions, sites, services, bed pools, teams, workforce

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_registry"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_CHECK = 'start IS NULL OR "end" IS NULL OR "end" > start'
WORKFORCE_SCOPE_CHECK = (
    " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in ("organisation", "site", "pool", "team"))
    + " = 1"
)


def _slug(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(80), nullable=nullable)


def _period(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f(f"ck_{table}_period")),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "areas",
        _slug("id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        _slug("part_of", nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _fk("areas", "part_of", "areas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
    )
    _indexes("areas", "part_of")

    op.create_table(
        "organisations",
        _slug("id"),
        sa.Column("ods_code", sa.String(12), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_period("organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_organisations_ods_code")),
    )
    _indexes("organisations", "kind")

    op.create_table(
        "responsibilities",
        sa.Column("id", sa.Integer(), nullable=False),
        _slug("area"),
        _slug("organisation"),
        sa.Column("role", sa.String(80), nullable=False),
        *_period("responsibilities"),
        _fk("responsibilities", "area", "areas"),
        _fk("responsibilities", "organisation", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibilities")),
        sa.UniqueConstraint("area", "organisation", "role", "start", name=op.f("uq_responsibilities_area")),
    )
    _indexes("responsibilities", "area", "organisation")

    op.create_table(
        "successions",
        sa.Column("id", sa.Integer(), nullable=False),
        _slug("predecessor"),
        _slug("successor"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _fk("successions", "predecessor", "organisations"),
        _fk("successions", "successor", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_successions")),
        sa.UniqueConstraint("predecessor", "successor", name=op.f("uq_successions_predecessor")),
    )
    _indexes("successions", "predecessor", "successor")

    op.create_table(
        "sites",
        _slug("id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("town", sa.String(120), nullable=True),
        sa.Column("postcode", sa.String(10), nullable=True),
        _slug("area", nullable=True),
        *_period("sites"),
        _fk("sites", "area", "areas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    _indexes("sites", "area")

    op.create_table(
        "site_operators",
        sa.Column("id", sa.Integer(), nullable=False),
        _slug("site"),
        _slug("organisation"),
        *_period("site_operators"),
        _fk("site_operators", "site", "sites"),
        _fk("site_operators", "organisation", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_operators")),
        sa.UniqueConstraint("site", "organisation", "start", name=op.f("uq_site_operators_site")),
    )
    _indexes("site_operators", "site", "organisation")

    op.create_table(
        "services",
        _slug("id"),
        _slug("site"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(80), nullable=False),
        _slug("organisation", nullable=True),
        *_period("services"),
        _fk("services", "site", "sites"),
        _fk("services", "organisation", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    _indexes("services", "site", "organisation")

    op.create_table(
        "bed_pools",
        _slug("id"),
        _slug("site"),
        sa.Column("setting", sa.String(20), nullable=False),
        sa.Column("specialty", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _fk("bed_pools", "site", "sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_pools")),
    )
    _indexes("bed_pools", "site")

    op.create_table(
        "bed_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        _slug("pool"),
        sa.Column("beds", sa.Integer(), nullable=False),
        *_period("bed_capacity"),
        sa.CheckConstraint("beds >= 0", name=op.f("ck_bed_capacity_beds_not_negative")),
        _fk("bed_capacity", "pool", "bed_pools"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_capacity")),
        sa.UniqueConstraint("pool", "start", name=op.f("uq_bed_capacity_pool")),
    )
    _indexes("bed_capacity", "pool")

    op.create_table(
        "teams",
        _slug("id"),
        sa.Column("name", sa.String(200), nullable=False),
        _slug("organisation"),
        _slug("site", nullable=True),
        _slug("pool", nullable=True),
        sa.Column("beds", sa.Integer(), nullable=True),
        *_period("teams"),
        sa.CheckConstraint("beds IS NULL OR beds >= 0", name=op.f("ck_teams_beds_not_negative")),
        _fk("teams", "organisation", "organisations"),
        _fk("teams", "site", "sites"),
        _fk("teams", "pool", "bed_pools"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    _indexes("teams", "organisation", "site", "pool")

    op.create_table(
        "workforce",
        sa.Column("id", sa.Integer(), nullable=False),
        _slug("organisation", nullable=True),
        _slug("site", nullable=True),
        _slug("pool", nullable=True),
        _slug("team", nullable=True),
        sa.Column("staff_group", sa.String(40), nullable=False),
        sa.Column("fte", sa.Float(), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        *_period("workforce"),
        sa.CheckConstraint(WORKFORCE_SCOPE_CHECK, name=op.f("ck_workforce_one_scope")),
        sa.CheckConstraint("fte IS NOT NULL OR headcount IS NOT NULL", name=op.f("ck_workforce_has_figure")),
        sa.CheckConstraint("fte IS NULL OR fte >= 0", name=op.f("ck_workforce_fte_not_negative")),
        sa.CheckConstraint(
            "headcount IS NULL OR headcount >= 0", name=op.f("ck_workforce_headcount_not_negative")
        ),
        _fk("workforce", "organisation", "organisations"),
        _fk("workforce", "site", "sites"),
        _fk("workforce", "pool", "bed_pools"),
        _fk("workforce", "team", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workforce")),
    )
    _indexes("workforce", "organisation", "site", "pool", "team")


def downgrade() -> None:
    for table in (
        "workforce",
        "teams",
        "bed_capacity",
        "bed_pools",
        "services",
        "site_operators",
        "sites",
        "successions",
        "responsibilities",
        "organisations",
        "areas",
    ):
        op.drop_table(table)
