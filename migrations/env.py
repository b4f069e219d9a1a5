"""Alembic environment: one metadata for every area; the URL comes from joinedup's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from joinedup.db import Base, create_engine, load_models
from joinedup.settings import get_settings

load_models()
target_metadata = Base.metadata
config = context.config


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(get_settings().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
