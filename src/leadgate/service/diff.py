"""What changed between two definitions, in words: rules added, removed and changed, field by field.

Rules are matched by id within their section (a fit rule `icp-size` in both is "changed" when any of
its settings differ); named sections (lists, vocabulary, grades, stages) by name; everything else is
compared as a setting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from leadgate.definition import Definition

RULE_SECTIONS = {
    ("personas", "rules"): "persona",
    ("rollups",): "roll-up",
    ("fit", "rules"): "fit rule",
    ("disqualifiers",): "disqualifier",
    ("engagement", "rules"): "engagement rule",
    ("criteria", "items"): "criterion",
    ("fast_track", "triggers"): "fast-track trigger",
}
NAMED_SECTIONS = {
    ("lists",): "list",
    ("vocabulary", "lead"): "lead field",
    ("vocabulary", "account"): "account field",
    ("vocabulary", "events"): "event type",
    ("fit", "grades"): "grade",
    ("stages",): "stage condition",
}


@dataclass(frozen=True)
class Difference:
    kind: str  # added | removed | changed
    what: str  # e.g. "fit rule icp-size", "setting engagement.half_life_days"
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.kind} {self.what}"
        return f"{text}: {self.detail}" if self.detail else text


def diff(old: Definition, new: Definition) -> list[Difference]:
    a, b = old.spec.model_dump(mode="json"), new.spec.model_dump(mode="json")
    out: list[Difference] = []
    for path, noun in RULE_SECTIONS.items():
        out += _rules(_at(a, path), _at(b, path), noun)
        _drop(a, path)
        _drop(b, path)
    for path, noun in NAMED_SECTIONS.items():
        out += _named(_at(a, path) or {}, _at(b, path) or {}, noun)
        _drop(a, path)
        _drop(b, path)
    settings_a, settings_b = _flatten(a), _flatten(b)
    for key in sorted(settings_a.keys() | settings_b.keys()):
        before, after = settings_a.get(key), settings_b.get(key)
        if before != after:
            out.append(Difference("changed", f"setting {key}", f"{_show(before)} → {_show(after)}"))
    return out


def _rules(before: list[dict[str, Any]], after: list[dict[str, Any]], noun: str) -> list[Difference]:
    old = {r["id"]: r for r in before or []}
    new = {r["id"]: r for r in after or []}
    out = []
    for rule_id, rule in new.items():
        if rule_id not in old:
            out.append(Difference("added", f"{noun} {rule_id}", _summary(rule)))
    for rule_id, rule in old.items():
        if rule_id not in new:
            out.append(Difference("removed", f"{noun} {rule_id}", _summary(rule)))
    for rule_id, rule in new.items():
        if rule_id in old and old[rule_id] != rule:
            out.append(Difference("changed", f"{noun} {rule_id}", _changes(old[rule_id], rule)))
    order_old = [i for i in old if i in new]
    order_new = [i for i in new if i in old]
    if order_old != order_new and noun in ("persona", "fast-track trigger"):
        out.append(
            Difference("changed", f"order of {noun}s", f"{', '.join(order_old)} → {', '.join(order_new)}")
        )
    return out


def _named(before: dict[str, Any], after: dict[str, Any], noun: str) -> list[Difference]:
    out = []
    for name in after:
        if name not in before:
            out.append(Difference("added", f"{noun} {name}", _show(after[name])))
    for name in before:
        if name not in after:
            out.append(Difference("removed", f"{noun} {name}", _show(before[name])))
    for name in after:
        if name in before and before[name] != after[name]:
            if isinstance(before[name], dict) and isinstance(after[name], dict):
                detail = _changes(before[name], after[name])
            else:
                detail = f"{_show(before[name])} → {_show(after[name])}"
            out.append(Difference("changed", f"{noun} {name}", detail))
    return out


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    a, b = _flatten(old), _flatten(new)
    parts = [
        f"{k} {_show(a.get(k))} → {_show(b.get(k))}"
        for k in sorted(a.keys() | b.keys())
        if a.get(k) != b.get(k)
    ]
    return "; ".join(parts)


def _summary(rule: dict[str, Any]) -> str:
    keys = ("when", "event", "points", "reason", "measure", "answers")
    return "; ".join(f"{k} {_show(rule[k])}" for k in keys if rule.get(k) not in (None, "", []))


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None  # type: ignore[assignment]
    return doc


def _drop(doc: dict[str, Any], path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        doc = doc.get(key, {})
    doc.pop(path[-1], None)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    return json.dumps(_whole(value), ensure_ascii=False)


def _whole(value: Any) -> Any:
    """Points as they were written: 20, not 20.0 (the definition's model holds them as floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_whole(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value
