"""The licences offered in the import, export and inspector forms (SPDX ids), in a module of their own so
the inspector, built at start, does not import the import dialog for them."""

from __future__ import annotations

LICENCES = (
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC0-1.0",
    "CC-BY-ND-4.0",
    "LicenseRef-All-Rights-Reserved",
)
