"""An area's module is imported if the area exists; only absence is forgiven, never a broken import."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from joinedup import db
from joinedup.areas import optional_module

Package = Callable[[dict[str, str]], str]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Package]:
    """Write a throwaway package (relative path -> source) under a fresh name; return that name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def make(files: dict[str, str]) -> str:
        name = f"area_{uuid.uuid4().hex[:8]}"
        names.append(name)
        for relative, text in {"__init__.py": "", **files}.items():
            path = tmp_path / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("PKG", name), encoding="utf-8")
        return name

    yield make
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        del sys.modules[module]


def test_an_existing_module_is_imported(package: Package) -> None:
    name = package({"plan/__init__.py": "", "plan/cli.py": "app = 'plan app'\n"})
    module = optional_module(f"{name}.plan.cli")
    assert module is not None and module.app == "plan app"


def test_an_absent_area_or_module_is_none(package: Package) -> None:
    name = package({"plan/__init__.py": ""})
    assert optional_module(f"{name}.voice.cli") is None
    assert optional_module(f"{name}.plan.cli") is None
    assert optional_module(f"no_such_package_{uuid.uuid4().hex[:8]}.cli") is None


def test_a_missing_import_inside_an_existing_module_is_raised(package: Package) -> None:
    name = package({"plan/__init__.py": "", "plan/cli.py": "import PKG.voice.service\n"})
    with pytest.raises(ModuleNotFoundError) as caught:
        optional_module(f"{name}.plan.cli")
    assert caught.value.name == f"{name}.voice"


def test_a_missing_module_whose_name_starts_the_same_is_raised(package: Package) -> None:
    # `PKG.pl` is a prefix of `PKG.plan.cli` as text, not as a package: the module exists and is broken.
    name = package({"plan/__init__.py": "", "plan/cli.py": "import PKG.pl\n"})
    with pytest.raises(ModuleNotFoundError):
        optional_module(f"{name}.plan.cli")


def test_an_error_in_an_existing_area_package_is_raised(package: Package) -> None:
    name = package({"plan/__init__.py": "raise ImportError('plan needs numba')\n", "plan/cli.py": ""})
    with pytest.raises(ImportError, match="plan needs numba"):
        optional_module(f"{name}.plan.cli")


def test_joinedup_areas_resolve() -> None:
    assert optional_module("joinedup.registry.models") is sys.modules["joinedup.registry.models"]
    assert optional_module("joinedup.no_such_area.models") is None
    assert optional_module("joinedup.registry.no_such_module") is None


def test_load_models_skips_an_absent_area_but_not_a_broken_one(
    package: Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = package({"plan/__init__.py": "", "plan/models.py": "import PKG.plan.tables\n"})
    monkeypatch.setattr(db, "MODEL_MODULES", (f"{name}.voice.models",))
    db.load_models()
    monkeypatch.setattr(db, "MODEL_MODULES", (f"{name}.voice.models", f"{name}.plan.models"))
    with pytest.raises(ModuleNotFoundError):
        db.load_models()
