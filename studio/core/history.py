"""Undo and redo, derived from the journal rather than kept beside it.

Replaying this client's journal groups in append order rebuilds the two stacks: an edit group
is pushed on the undo stack and clears the redo stack; an undo group pops the undo stack and is
pushed on the redo stack; a redo group pops the redo stack and is pushed on the undo stack.
Because the stacks are a function of the journal, history survives restarts and every process
working on the project sees the same one.

Undo and redo are the same step: append the inverse of the top group's ops (reversed) as a new
group. Undoing an undo group (a redo) thus appends the original ops again. Consecutive edits that
share a merge key (a drag: many moves of one item) within a short window reuse one group id,
so they undo as one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from studio.core.ops import Op, inverse

MERGE_WINDOW_S = 1.0
"""Edits with the same merge key less than this many seconds apart join one undo step."""


@dataclass(slots=True)
class Group:
    """One undo step of this client: its journal group id and what the menu says about it."""

    id: str
    origin: str
    label: str
    merge_key: str | None
    last_created: float


class Step(Protocol):
    """What history reads from a journal row (JournalRow and StepRow both have it)."""

    @property
    def group_id(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def merge_key(self) -> str | None: ...
    @property
    def created(self) -> float: ...


def inverse_ops(ops: Sequence[Op], op_ids: Sequence[str] | None = None) -> list[Op]:
    """The ops that undo `ops` when applied after them: each op inverted, in reverse order.

    With `op_ids` (the journal ids of `ops`) each inverse names the op it reverts, so undoing a
    set keeps a collaborator's concurrent set of the same value.
    """
    ids: Sequence[str | None] = op_ids if op_ids is not None else [None] * len(ops)
    if len(ids) != len(ops):
        raise ValueError("inverse_ops: one op id per op")
    return [inverse(op, op_id) for op, op_id in zip(reversed(ops), reversed(ids), strict=True)]


class History:
    """The undo and redo stacks of one client in one project."""

    def __init__(self, merge_window: float = MERGE_WINDOW_S) -> None:
        self.merge_window = merge_window
        self._groups: dict[str, Group] = {}
        self._undo: list[str] = []
        self._redo: list[str] = []
        self._last: str | None = None

    def observe(self, row: Step) -> None:
        """Take one of this client's journal rows into account (rows must come in append order)."""
        group = self._groups.get(row.group_id)
        if group is not None:
            group.last_created = max(group.last_created, row.created)
            return
        group = Group(row.group_id, row.origin, row.label, row.merge_key, row.created)
        self._groups[row.group_id] = group
        self._last = row.group_id
        if row.origin == "edit":
            self._undo.append(row.group_id)
            self._redo.clear()
        elif row.origin == "undo":
            if self._undo:
                self._undo.pop()
            self._redo.append(row.group_id)
        else:
            if self._redo:
                self._redo.pop()
            self._undo.append(row.group_id)

    # -- queries -----------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        """What Undo would undo ("Move clip"), for the Edit menu; None when there is nothing."""
        return self._groups[self._undo[-1]].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._groups[self._redo[-1]].label if self._redo else None

    def undo_target(self) -> Group | None:
        """The group an undo reverts: the top of the undo stack (an edit or a redo)."""
        return self._groups[self._undo[-1]] if self._undo else None

    def redo_target(self) -> Group | None:
        """The group a redo reverts: the undo group on top of the redo stack."""
        return self._groups[self._redo[-1]] if self._redo else None

    def merge_target(self, merge_key: str | None, now: float) -> str | None:
        """The group a new edit with `merge_key` joins, or None for a new undo step.

        Only this client's latest group qualifies, and only if it is an edit with the same key
        whose last op is less than merge_window seconds old: anything in between (an undo,
        another edit) starts a new step.
        """
        if merge_key is None or self._last is None:
            return None
        group = self._groups[self._last]
        if group.origin != "edit" or group.merge_key != merge_key:
            return None
        if not self._undo or self._undo[-1] != group.id:
            return None
        if now - group.last_created > self.merge_window:
            return None
        return group.id

    def undo_stack(self) -> list[Group]:
        """Undo steps, oldest first (the last one is undone first)."""
        return [self._groups[g] for g in self._undo]

    def redo_stack(self) -> list[Group]:
        return [self._groups[g] for g in self._redo]
