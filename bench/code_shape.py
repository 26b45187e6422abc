"""The shape of the source: modules over 600 lines and functions over 80, the limits the layers keep.

Counts physical lines of each module under studio/ (Alembic revision scripts included: they are code too) and
the span of every function and method (decorators included, nested functions counted on their own as well).
Run it before and after a split; `--list` names every offender.

    python bench/code_shape.py [--list] [--module-limit 600] [--function-limit 80]
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Span:
    """One module or function and how many lines it covers."""

    where: str
    lines: int


def module_spans(source_root: Path) -> list[Span]:
    return [
        Span(str(path.relative_to(source_root.parent)), len(path.read_text(encoding="utf-8").splitlines()))
        for path in sorted(source_root.rglob("*.py"))
    ]


def function_spans(source_root: Path) -> list[Span]:
    spans = []
    for path in sorted(source_root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                last = node.end_lineno or node.lineno
                where = f"{path.relative_to(source_root.parent)}:{node.lineno} {node.name}"
                spans.append(Span(where, last - first + 1))
    return spans


def over(spans: list[Span], limit: int) -> list[Span]:
    return sorted((s for s in spans if s.lines > limit), key=lambda s: -s.lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="name every module and function over its limit")
    parser.add_argument("--module-limit", type=int, default=600)
    parser.add_argument("--function-limit", type=int, default=80)
    parser.add_argument("--root", type=Path, default=ROOT / "studio")
    args = parser.parse_args()
    modules = over(module_spans(args.root), args.module_limit)
    functions = over(function_spans(args.root), args.function_limit)
    print(f"modules over {args.module_limit} lines: {len(modules)}")
    if args.list:
        for span in modules:
            print(f"  {span.lines:5d}  {span.where}")
    print(f"functions over {args.function_limit} lines: {len(functions)}")
    if args.list:
        for span in functions:
            print(f"  {span.lines:5d}  {span.where}")


if __name__ == "__main__":
    main()
