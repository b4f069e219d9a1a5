"""Read NHS ODS published CSV extracts: NHS trusts (etr.csv) and GP practices (epraccur.csv).

Both are headerless, 27 columns (NHS Digital, "ODS data file layouts"): 1 organisation code, 2 name,
3 national grouping, 4 high level health geography, 5-9 address lines, 10 postcode, 11 open date, 12 close
date (YYYYMMDD); in epraccur 13 status code, 14 organisation sub-type, 15 commissioner (parent) code,
18 contact telephone number.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from joinedup.registry.ics_file import file_error

ExtractKind = Literal["ods-trusts", "ods-gp-practices"]

MIN_COLUMNS = 12
TRUST_CODE = re.compile(r"^[A-Z0-9]{3,5}$")
PRACTICE_CODE = re.compile(r"^[A-Z]\d{5}$")
COLUMN_NAMES = {
    1: "organisation code",
    2: "name",
    10: "postcode",
    11: "open date",
    12: "close date",
    13: "status code",
    15: "commissioner code",
}
# Words ODS prints in capitals that stay in capitals, and small words that stay lower case.
UPPER_WORDS = {"NHS", "GP", "GPS", "UK", "CIC", "LLP", "PLC", "LTD", "PCN", "ICB", "CCG", "HIV", "ENT"}
SMALL_WORDS = {"OF", "AND", "THE", "FOR", "IN", "ON", "AT", "UPON", "BY"}
PRACTICE_STATUS = {"A": "active", "C": "closed", "D": "dormant", "P": "proposed"}


@dataclass(frozen=True)
class OdsRow:
    """One organisation from an ODS extract, with the line it came from."""

    line: int
    ods_code: str
    name: str
    postcode: str | None
    town: str | None
    opened: date | None
    closed: date | None
    status: str | None
    commissioner: str | None
    telephone: str | None


@dataclass(frozen=True)
class OdsExtract:
    path: Path
    kind: ExtractKind
    rows: list[OdsRow]


def readable_name(ods_name: str) -> str:
    """'UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST' -> 'University Hospitals of Leicester NHS Trust'."""
    words = []
    for position, word in enumerate(ods_name.split()):
        parts = []
        for part in word.split("-"):
            if part.upper() in UPPER_WORDS:
                parts.append(part.upper())
            elif part.upper() in SMALL_WORDS and (position or parts):
                parts.append(part.lower())
            else:
                parts.append(part.capitalize())
        words.append("-".join(parts))
    return " ".join(words)


def detect_kind(path: Path, rows: list[list[str]]) -> ExtractKind | None:
    """By file name (etr / epraccur), else by the shape of the organisation codes."""
    name = path.name.lower()
    if name.startswith("epraccur"):
        return "ods-gp-practices"
    if name.startswith("etr"):
        return "ods-trusts"
    codes = [row[0].strip() for row in rows if row]
    if codes and all(PRACTICE_CODE.match(code) for code in codes):
        return "ods-gp-practices"
    if codes and all(TRUST_CODE.match(code) for code in codes):
        return "ods-trusts"
    return None


def _cell(row: list[str], column: int) -> str:
    return row[column - 1].strip() if len(row) >= column else ""


def _date(path: Path, line: int, row: list[str], column: int) -> date | None:
    text = _cell(row, column)
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise file_error(
            path,
            line,
            f"column {column} ({COLUMN_NAMES[column]})",
            f"'{text}' is not a date in the form YYYYMMDD",
        ) from None


def _row(path: Path, kind: ExtractKind, line: int, row: list[str]) -> OdsRow:
    if len(row) < MIN_COLUMNS:
        raise file_error(
            path, line, None, f"has {len(row)} columns; an ODS extract has at least {MIN_COLUMNS}"
        )
    code = _cell(row, 1).upper()
    pattern = PRACTICE_CODE if kind == "ods-gp-practices" else TRUST_CODE
    if not pattern.match(code):
        what = (
            "a GP practice code (a letter and five digits)" if kind == "ods-gp-practices" else "a trust code"
        )
        raise file_error(path, line, "column 1 (organisation code)", f"'{code}' is not {what}")
    name = _cell(row, 2)
    if not name:
        raise file_error(path, line, "column 2 (name)", "is empty")
    opened, closed = _date(path, line, row, 11), _date(path, line, row, 12)
    if opened and closed and closed <= opened:
        raise file_error(
            path, line, "column 12 (close date)", f"{closed} is not after the open date {opened}"
        )
    status = _cell(row, 13) or None
    if kind == "ods-gp-practices" and status is not None and status not in PRACTICE_STATUS:
        raise file_error(path, line, "column 13 (status code)", f"'{status}' is not one of A, C, D, P")
    return OdsRow(
        line=line,
        ods_code=code,
        name=readable_name(name),
        postcode=_cell(row, 10).upper() or None,
        town=readable_name(_cell(row, 7) or _cell(row, 6)) or None,
        opened=opened,
        closed=closed,
        status=PRACTICE_STATUS.get(status or "") if kind == "ods-gp-practices" else None,
        commissioner=(_cell(row, 15) or None) if kind == "ods-gp-practices" else None,
        telephone=_cell(row, 18) or None,
    )


def _csv_text(path: Path) -> tuple[str, str]:
    """(name of the CSV, its text): the file itself, or the one CSV inside a published .zip."""
    if path.suffix.lower() != ".zip":
        return path.name, path.read_bytes().decode("utf-8-sig")
    with zipfile.ZipFile(path) as archive:
        names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
        if len(names) != 1:
            raise file_error(path, None, None, f"holds {len(names)} CSV files; an ODS extract holds one")
        return Path(names[0]).name, archive.read(names[0]).decode("utf-8-sig")


def read_ods_extract(path: Path) -> OdsExtract:
    """Parse an etr.csv or epraccur.csv extract (or its .zip); Invalid (file, line, column) on a bad row."""
    try:
        name, text = _csv_text(path)
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        raise file_error(path, None, None, "no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
        raise file_error(path, None, None, f"cannot be read as CSV ({exc})") from None
    numbered = [(line, row) for line, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise file_error(path, None, None, "has no rows")
    kind = detect_kind(Path(name), [row for _, row in numbered])
    if kind is None:
        raise file_error(
            path,
            1,
            "column 1 (organisation code)",
            "neither NHS trust codes (etr.csv) nor GP practice codes (epraccur.csv)",
        )
    seen: dict[str, int] = {}
    parsed = []
    for line, row in numbered:
        ods_row = _row(path, kind, line, row)
        if ods_row.ods_code in seen:
            raise file_error(
                path,
                line,
                "column 1 (organisation code)",
                f"{ods_row.ods_code} repeats line {seen[ods_row.ods_code]}",
            )
        seen[ods_row.ods_code] = line
        parsed.append(ods_row)
    return OdsExtract(path, kind, parsed)
