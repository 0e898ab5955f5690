"""Reading JSON from strangers: a nesting depth limit, checked without deep recursion."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext


class JSONTooDeep(ValueError):
    """The document nests lists and objects deeper than allowed."""


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0, ``[]`` is 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def loads(text: str | bytes, *, max_depth: int) -> Any:
    """``json.loads``, refusing documents nested deeper than ``max_depth`` levels.

    Raises ``json.JSONDecodeError`` for bad JSON and ``JSONTooDeep`` for deep nesting (the
    parser's own recursion limit, about a thousand levels, is reported the same way).
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(_too_deep(max_depth)) from None
    if nesting_depth(data) > max_depth:
        raise JSONTooDeep(_too_deep(max_depth))
    return data


def _too_deep(max_depth: int) -> str:
    return gettext("is nested deeper than %(depth)s levels") % {"depth": max_depth}
