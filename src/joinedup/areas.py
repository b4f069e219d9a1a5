"""Areas of joinedup that an installation may not have yet: import their modules only if they exist."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def optional_module(name: str) -> ModuleType | None:
    """The module `name` (dotted), or None when it or a package holding it does not exist.

    Only absence is tolerated: an error raised while importing a module that exists (a broken import
    inside an area, a missing third-party package) propagates.
    """
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        # find_spec imports the parent package first, so each level is only looked for inside one that exists.
        if importlib.util.find_spec(".".join(parts[:depth])) is None:
            return None
    return importlib.import_module(name)
