"""A cheaper answer to PySide6's question about every module imported after it.

PySide6 (6.4+) hooks imports to learn whether a module may switch on a `__feature__` (snake_case,
true_property): it reads the module's source with inspect.getsource, which tokenizes the file through
linecache, only to search it for the text "PySide6". At the studio's start that is about a hundred
modules and some 100 ms of the UI thread. Searching the file's bytes gives the same answer; modules
without a plain source file keep PySide's own check.
"""

from __future__ import annotations

import sys
from types import ModuleType


def install() -> None:
    """Replace the source search of PySide6's import hook (once; a no-op where it does not exist)."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or getattr(original, "studio_fast", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    uses_pyside.studio_fast = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
