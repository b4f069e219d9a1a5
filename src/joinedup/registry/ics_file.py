"""Read an ICS reference-data TOML file into validated entries, each knowing its line in the file.

Errors name the file, the line and the field, so whoever keeps the data can fix it at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from joinedup.errors import Invalid
from joinedup.registry.schemas import (
    AreaCreate,
    BedCapacityCreate,
    BedPoolCreate,
    OrganisationCreate,
    RecordBase,
    ResponsibilityCreate,
    ServiceCreate,
    SiteCreate,
    SiteOperatorCreate,
    SuccessionCreate,
    TeamCreate,
    WorkforceCreate,
)

# Tables in load order: each may refer only to tables above it (or to itself, for areas).
TABLES: dict[str, type[RecordBase]] = {
    "areas": AreaCreate,
    "organisations": OrganisationCreate,
    "responsibilities": ResponsibilityCreate,
    "successions": SuccessionCreate,
    "sites": SiteCreate,
    "site_operators": SiteOperatorCreate,
    "services": ServiceCreate,
    "bed_pools": BedPoolCreate,
    "bed_capacity": BedCapacityCreate,
    "teams": TeamCreate,
    "workforce": WorkforceCreate,
}

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]+"|'[^']+'|[A-Za-z0-9_-]+)\s*=""")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


class Meta(BaseModel):
    """The file's [meta] table: what it is and where it comes from."""

    title: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Entry:
    """One validated entry of a table, with the line of its header and of each key."""

    table: str
    index: int
    line: int
    key_lines: dict[str, int]
    record: Any

    def line_of(self, key: str | None) -> int:
        return self.key_lines.get(key, self.line) if key else self.line


@dataclass
class IcsFile:
    """A parsed, validated ICS file: entries by table, in load order."""

    path: Path
    meta: Meta
    entries: dict[str, list[Entry]] = field(default_factory=dict)

    def error(self, entry: Entry, key: str | None, message: str) -> Invalid:
        """An Invalid naming this file, the entry's (or key's) line and the field."""
        return file_error(
            self.path, entry.line_of(key), f"{entry.table}.{key}" if key else entry.table, message
        )


def file_error(path: Path, line: int | None, where: str | None, message: str) -> Invalid:
    """One clear sentence naming the file, the line and the field."""
    parts = [str(path)]
    if line:
        parts.append(f"line {line}")
    if where:
        parts.append(where)
    return Invalid(f"{', '.join(parts)}: {message.rstrip('.')}.")


@dataclass
class _Block:
    line: int
    key_lines: dict[str, int] = field(default_factory=dict)


def locate(text: str) -> tuple[dict[str, list[_Block]], dict[str, int]]:
    """Where each [[table]] occurrence and each top-level key sits in the TOML text (1-based lines)."""
    blocks: dict[str, list[_Block]] = {}
    top_keys: dict[str, int] = {}
    current: _Block | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if raw.lstrip().startswith("#") else raw
        if match := _ARRAY_HEADER.match(line):
            current = _Block(number)
            blocks.setdefault(match.group(1), []).append(current)
        elif match := _TABLE_HEADER.match(line):
            current = _Block(number)
            top_keys.setdefault(match.group(1), number)
        elif match := _KEY.match(line):
            key = match.group(1).strip("\"'")
            if current is None:
                top_keys.setdefault(key, number)
            else:
                current.key_lines.setdefault(key, number)
    return blocks, top_keys


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else None
        return_message = _TOML_POSITION.sub("", message).strip()
        raise file_error(path, line, None, f"not valid TOML: {return_message}") from None


def _validate(
    path: Path, table: str, index: int, raw: Any, block: _Block | None, fallback_line: int
) -> Entry:
    line = block.line if block else fallback_line
    key_lines = dict(block.key_lines) if block else {}
    entry = Entry(table, index, line, key_lines, None)
    if not isinstance(raw, dict):
        raise file_error(path, line, table, "each entry must be a table ([[" + table + "]])")
    try:
        record = TABLES[table].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else None
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "is required but missing"
        elif first["type"] == "extra_forbidden":
            message = "is not a field of " + table
        elif first["type"] == "literal_error":
            message = f"{first['input']!r} is not allowed. {message}"
        raise file_error(path, entry.line_of(key), f"{table}.{key}" if key else table, message) from None
    return Entry(table, index, line, key_lines, record)


def read_ics_file(path: Path) -> IcsFile:
    """Parse and validate one ICS TOML file; Invalid (file, line, field) on the first mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Invalid(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: cannot be read ({exc}).") from None
    document = _parse(path, text)
    blocks, top_keys = locate(text)
    meta_raw = document.pop("meta", {})
    if not isinstance(meta_raw, dict):
        raise file_error(path, top_keys.get("meta"), "meta", "must be a table")
    ics = IcsFile(path, Meta.model_validate({k: v for k, v in meta_raw.items() if k in ("title", "source")}))
    for table, values in document.items():
        if table not in TABLES:
            known = ", ".join(TABLES)
            raise file_error(
                path,
                top_keys.get(table) or _first_line(blocks, table),
                table,
                f"unknown table (known tables: meta, {known})",
            )
        if not isinstance(values, list):
            raise file_error(
                path, top_keys.get(table), table, "must be an array of tables ([[" + table + "]])"
            )
    for table in TABLES:
        values = document.get(table, [])
        found = blocks.get(table, [])
        fallback = top_keys.get(table, 1)
        ics.entries[table] = [
            _validate(path, table, index, raw, found[index] if index < len(found) else None, fallback)
            for index, raw in enumerate(values)
        ]
    return ics


def _first_line(blocks: dict[str, list[_Block]], table: str) -> int | None:
    found = blocks.get(table)
    return found[0].line if found else None
