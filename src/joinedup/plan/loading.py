"""Reading scenarios: bundled names or TOML files, baselines they build on, pools taken from the registry.

A file may say `baseline = "llr-baseline-2016"` (a bundled name or a path relative to the file): it then
starts from that scenario, replaces pools and pathways with the same id, adds its own, and keeps the
baseline's changes at the same offset from its own start date.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from joinedup.plan.checks import check_references
from joinedup.plan.scenario import Pool, Scenario, ScenarioInvalid, validate_document

SCENARIO_FOLDER = Path(__file__).resolve().parents[1] / "data" / "scenarios"


class RegistryBedPool(Protocol):
    """What the registry tells the planner about one bed pool on a date."""

    @property
    def id(self) -> str: ...
    @property
    def site_id(self) -> str: ...
    @property
    def setting(self) -> str: ...
    @property
    def specialty(self) -> str | None: ...
    @property
    def beds(self) -> int: ...


RegistryLookup = Callable[[date], Sequence[RegistryBedPool]]

# A file as it was read: resolved path, modification time (ns) and size; editing the file changes the stamp.
FileStamp = tuple[Path, int, int]


def file_stamp(path: Path) -> FileStamp:
    """The stamp of `path` now (OSError if it cannot be read)."""
    info = path.stat()
    return path.resolve(), info.st_mtime_ns, info.st_size


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with joinedup (files in joinedup/data/scenarios)."""
    return sorted(path.stem for path in SCENARIO_FOLDER.glob("*.toml"))


def load_scenario(
    source: str | Path, *, registry: RegistryLookup | None = None, read: list[FileStamp] | None = None
) -> Scenario:
    """A validated scenario from a bundled name or a TOML path; `registry` resolves pools_from_registry.

    `read`, when given, collects the stamp of every file read: the scenario's own, then its baselines'.
    """
    file, document = read_document(str(source), read=read)
    scenario = validate_document(document, file)
    if scenario.pools_from_registry is not None:
        if registry is None:
            raise ScenarioInvalid(
                file,
                "pools_from_registry.on",
                scenario.pools_from_registry.on,
                "this scenario takes its pools from the registry, which is not available",
            )
        scenario = with_registry_pools(scenario, registry(scenario.pools_from_registry.on))
    check_references(scenario, file)
    return scenario


def with_registry_pools(scenario: Scenario, registry_pools: Sequence[RegistryBedPool]) -> Scenario:
    """The scenario with the registry's pools first; pools the file lists itself replace those with its id."""
    on = scenario.pools_from_registry.on if scenario.pools_from_registry else None
    own = {pool.id for pool in scenario.pools}
    taken = [
        Pool(id=p.id, beds=p.beds, setting=p.setting, site=p.site_id, source=f"registry as of {on}")
        for p in registry_pools
        if p.id not in own
    ]
    return scenario.model_copy(update={"pools": taken + list(scenario.pools)})


def read_document(
    source: str, seen: tuple[Path, ...] = (), read: list[FileStamp] | None = None
) -> tuple[str, dict[str, Any]]:
    """(file name for messages, TOML document with its baseline merged in) for a bundled name or a path."""
    path = _locate(source)
    file = path.name if path.parent == SCENARIO_FOLDER else str(source)
    if path in seen:
        raise ScenarioInvalid(file, "baseline", source, "scenarios build on each other in a circle")
    try:
        if read is not None:
            # Stamped before reading, so an edit made during the read leaves a stamp that no longer matches.
            read.append(file_stamp(path))
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioInvalid(file, "", None, f"is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInvalid(file, "", None, f"cannot be read: {exc}") from None
    baseline = document.pop("baseline", None)
    if baseline is None:
        return file, document
    if not isinstance(baseline, str):
        raise ScenarioInvalid(file, "baseline", baseline, "must be a bundled scenario name or a path")
    relative = path.parent / baseline
    _, base = read_document(str(relative) if relative.is_file() else baseline, (*seen, path), read)
    return file, merge_baseline(base, document)


def merge_baseline(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """`own` laid over `base`: pools and pathways replaced by id, changes shifted to own's start date."""
    merged = {key: value for key, value in base.items() if key not in ("name", "description")}
    for key, value in own.items():
        if key in ("pools", "pathways") and isinstance(value, list):
            merged[key] = _merge_by_id(base.get(key, []), value)
        elif key in ("changes", "assumptions") and isinstance(value, list):
            merged[key] = list(base.get(key, [])) + value
        else:
            merged[key] = value
    base_start, own_start = base.get("start_date"), own.get("start_date")
    if isinstance(base_start, date) and isinstance(own_start, date) and "changes" in base:
        shift = own_start - base_start
        inherited = [
            dict(c, on=c["on"] + shift) if isinstance(c.get("on"), date) else c for c in base["changes"]
        ]
        merged["changes"] = inherited + list(own.get("changes", []))
    return merged


def _merge_by_id(base: list[Any], own: list[Any]) -> list[Any]:
    by_id = {item.get("id"): item for item in own if isinstance(item, dict)}
    merged = [by_id.pop(item.get("id"), item) if isinstance(item, dict) else item for item in base]
    return merged + [item for item in own if not isinstance(item, dict) or item.get("id") in by_id]


def _locate(source: str) -> Path:
    path = Path(source)
    if path.is_file():
        return path
    bundled = SCENARIO_FOLDER / f"{source}.toml"
    if bundled.is_file():
        return bundled
    names = ", ".join(bundled_scenarios())
    raise ScenarioInvalid(
        source, "scenario", source, f"is neither a file nor a bundled scenario (bundled: {names})"
    )
