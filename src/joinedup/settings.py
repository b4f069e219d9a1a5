"""Configuration from environment variables `JOINEDUP_*`, read into one Settings object."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///./joinedup.db"
# Outside production a missing JOINEDUP_SECRET_KEY is generated once and kept here (never in the repo).
LOCAL_SECRET_FILE = Path(".joinedup-secret")


@dataclass(frozen=True)
class Settings:
    """Everything joinedup reads from its environment."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    dask_scheduler: str | None = None
    environment: str = "development"
    secret_file: Path = LOCAL_SECRET_FILE

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def signing_key(self) -> str:
        """The token-signing secret; in production it must have been given explicitly."""
        if self.secret_key:
            return self.secret_key
        if self.is_production:
            raise RuntimeError("JOINEDUP_SECRET_KEY must be set when JOINEDUP_ENV=production")
        return local_secret(self.secret_file)


def local_secret(path: Path) -> str:
    """A development signing secret: read from `path`, or generated there (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from `environ` (default: the process environment)."""
    env = dict(os.environ) if environ is None else environ
    return Settings(
        database_url=env.get("JOINEDUP_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=env.get("JOINEDUP_SECRET_KEY") or None,
        dask_scheduler=env.get("JOINEDUP_DASK_SCHEDULER") or None,
        environment=env.get("JOINEDUP_ENV") or "development",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return from_environment()


def require_secret(settings: Settings) -> None:
    """Refuse a production start without an explicit JOINEDUP_SECRET_KEY."""
    if settings.is_production and not settings.secret_key:
        raise RuntimeError("JOINEDUP_SECRET_KEY must be set when JOINEDUP_ENV=production")
