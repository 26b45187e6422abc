"""Unresolved conflicts: in shared projects' folded timelines (including overlapping items) and on the
records the server flagged."""

from __future__ import annotations

from typing import Any

from studio.core import ops as op_mod
from studio.core.project import ProjectSession
from studio.core.store import Store
from studio.core.timeline import Timeline
from studio.sync import state


def fold(store: Store, project_id: str) -> Timeline:
    """The project's timeline as every replica computes it: its journal folded in total order."""
    timeline = Timeline()
    for row in store.journal_ordered(project_id):
        op_mod.apply(timeline, row.op, row.op_id)
    return timeline


def project_conflicts(store: Store, project_id: str, name: str) -> list[dict[str, Any]]:
    timeline = ProjectSession(store, project_id).timeline
    out: list[dict[str, Any]] = []
    for c in sorted(timeline.conflicts.values(), key=lambda c: c.id):
        out.append(
            {
                "where": "project",
                "project": name,
                "project_id": project_id,
                "id": c.id,
                "kind": c.kind,
                "entity": c.entity,
                "target": c.target,
                "field": c.field,
                "values": c.values,
            }
        )
    for a, b in timeline.overlaps():
        out.append(
            {
                "where": "project",
                "project": name,
                "project_id": project_id,
                "id": f"overlap:{a.id}:{b.id}",
                "kind": "overlap",
                "entity": "item",
                "target": a.id,
                "field": None,
                "values": [a.id, b.id],
            }
        )
    return out


def list_conflicts(store: Store) -> list[dict[str, Any]]:
    """Every unresolved conflict: in shared projects' timelines (including overlapping items) and on
    records the server flagged."""
    with store.read() as conn:
        projects = conn.execute("SELECT id, name FROM projects WHERE space != '' ORDER BY name").fetchall()
        found = [{"where": "record", **c} for c in state.record_conflicts(conn)]
    out: list[dict[str, Any]] = []
    for project_id, name in projects:
        out += project_conflicts(store, project_id, name)
    return out + found
