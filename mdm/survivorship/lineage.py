"""Stored lineage: a compact form written with golden records, expanded on read.

The verbose lineage (``GoldenBuild.lineage_json``, ``Decision.lineage_json``) repeats,
for every attribute and candidate, the full source description, the winner again,
and reasons that are recomputable from the rule. The compact form stores each source
once per golden record and per attribute only what cannot be recomputed::

    {"_v": 1,                                   # marker: compact form, version 1
     "_d": "customer",                          # the domain (the rules' prefix)
     "_src": [[record_id, system, source_key, version, updated_at], ...],
     "_why": ["lower source priority: ERP after CRM", ...],   # the candidates' reasons, once each
     "email": {"r": "[0]: source_priority [CRM, ERP]",   # rule after "customer.email"
               "c": [[0, "w", "a@x.com"], [1, "l", "b@y.com", 0]],
               "w": 0}}                         # index of the winner in "c"

Per attribute: "r" the rule without its "<domain>.<attribute>" prefix (or "R", the
whole rule when it has no such prefix), "c" the candidates as [source index, outcome
("w" won, "l" lost, "d" dropped), value, reason] where the reason is left out when it
is "chosen by <rule>" (with "; tie broken by <tie_breaker>") and else is its index in "_why"
(reasons repeat: the same two records' dates, the same lost same_source_as), "w" the winner's index
in "c", "v" the value only when it is not the winner's, "s" the strategy only when it
is not the rule's first word after ": ", "t" the tie-breaker, "f" the fallbacks when
there are any, "o" the steward override. An attribute whose trace does not fit this
form (a winner that is not one of the candidates, per-value trust, ...) is stored
verbose inside the compact document (it has an "attribute" key, compact entries never do).

``expand`` turns either form into the verbose one (what stores written before the
compact form hold is returned as it is), so every reader of stored lineage goes
through it and sees exactly what the verbose form says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import json

MARKER = "_v"
VERSION = 1
_DOMAIN = "_d"
_SOURCES = "_src"
_WHY = "_why"
_RESERVED = frozenset({MARKER, _DOMAIN, _SOURCES, _WHY})

OUTCOME_CODES = {"won": "w", "lost": "l", "dropped": "d"}
_OUTCOMES = {code: outcome for outcome, code in OUTCOME_CODES.items()}
_SOURCE_FIELDS = ("system", "record_id", "source_key", "version", "updated_at")


def is_compact(lineage: Any) -> bool:
    return isinstance(lineage, dict) and type(lineage.get(MARKER)) is int


def chosen_reason(rule: str, tie_breaker: str | None) -> str:
    """The reason the engine gives a winner (``engine._decision``)."""
    return f"chosen by {rule}; tie broken by {tie_breaker}" if tie_breaker else f"chosen by {rule}"


def strategy_of(rule: str) -> str:
    """The strategy a rule text names: its first word after ": " (what ``Step.describe`` starts with)."""
    start = rule.find(": ")
    if start < 0:
        return ""
    return rule[start + 2 :].split(" ", 1)[0]


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON-ready values encode to the same text (cheaply: plain equal scalars, else the text)."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str or kind is int or kind is bool:
        return a == b
    text = _text(a)
    return text is not None and text == _text(b)


def _text(value: Any) -> str | None:
    """``value`` as JSON text (None when it is not JSON-ready)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


_PARTS: dict[tuple[str | None, str, str, str | None], tuple[str, str, str, str]] = {}
_MAX_PARTS = 4096


def rule_parts(domain: str | None, attribute: str, rule: str, tie_breaker: str | None) -> tuple[str, str, str, str]:
    """(rule key "r" or "R", rule text stored, strategy the rule names, a winner's usual reason), cached."""
    key = (domain, attribute, rule, tie_breaker)
    parts = _PARTS.get(key)
    if parts is None:
        if len(_PARTS) >= _MAX_PARTS:
            _PARTS.clear()
        parts = _PARTS[key] = (*split_rule(domain, attribute, rule), strategy_of(rule), chosen_reason(rule, tie_breaker))
    return parts


def split_rule(domain: str | None, attribute: str, rule: str) -> tuple[str, str]:
    """("r", suffix) when ``rule`` starts with "<domain>.<attribute>", else ("R", rule)."""
    if domain is not None:
        prefix_len = len(domain) + 1 + len(attribute)
        if rule.startswith(domain) and rule.startswith(".", len(domain)) and rule.startswith(attribute, len(domain) + 1):
            return "r", rule[prefix_len:]
    return "R", rule


def domain_of(rule: str) -> str | None:
    dot = rule.find(".")
    return rule[:dot] if dot > 0 else None


# --- expansion ---------------------------------------------------------------------------------


def expand(lineage: Any, only: str | None = None) -> Any:
    """Stored lineage (compact or verbose) as the verbose form; ``only``: just that attribute."""
    if not is_compact(lineage):
        return lineage
    domain = lineage.get(_DOMAIN)
    sources = lineage.get(_SOURCES) or []
    whys = lineage.get(_WHY) or []
    cache: dict[int, dict[str, Any]] = {}
    out: dict[str, Any] = {}
    items = lineage.items() if only is None else ([(only, lineage[only])] if only in lineage else [])
    for name, entry in items:
        if name in _RESERVED:
            continue
        if not isinstance(entry, dict) or "attribute" in entry:
            out[name] = entry
        else:
            out[name] = _expand_entry(domain, name, entry, sources, whys, cache)
    return out


def _source(sources: list, cache: dict[int, dict[str, Any]], index: int) -> dict[str, Any]:
    source = cache.get(index)
    if source is None:
        record_id, system, source_key, version, updated_at = sources[index]
        source = cache[index] = {
            "system": system, "record_id": record_id, "source_key": source_key, "version": version,
            "updated_at": updated_at,
        }
    return source


def _expand_entry(
    domain: str | None, name: str, entry: dict, sources: list, whys: list, cache: dict
) -> dict[str, Any]:
    rule = f"{domain}.{name}{entry['r']}" if "r" in entry else entry["R"]
    tie_breaker = entry.get("t")
    chosen = chosen_reason(rule, tie_breaker)
    candidates = []
    for item in entry.get("c", ()):
        candidate = {"value": item[2], **_source(sources, cache, item[0])}
        if len(item) > 3:
            reason = item[3]
            if type(reason) is int:
                reason = whys[reason]
        else:
            reason = chosen
        candidates.append({"candidate": candidate, "outcome": _OUTCOMES[item[1]], "reason": reason})
    w = entry.get("w")
    winner = None if w is None else dict(candidates[w]["candidate"])
    if "v" in entry:
        value = entry["v"]
    else:
        value = None if winner is None else winner["value"]
    out: dict[str, Any] = {"value": value, "attribute": name}
    if winner is not None:
        out["winner"] = winner
    out["strategy"] = entry["s"] if "s" in entry else strategy_of(rule)
    out["rule"] = rule
    if tie_breaker is not None:
        out["tie_breaker"] = tie_breaker
    out["candidates"] = candidates
    out["fallbacks"] = list(entry.get("f", ()))
    if "o" in entry:
        out["override"] = entry["o"]
    return out


# --- compaction ----------------------------------------------------------------------------------


class SourceTable:
    """The sources and reasons of one compact document: index of each, in first-use order."""

    __slots__ = ("rows", "_index", "whys", "_why")

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self._index: dict[Any, int] = {}
        self.whys: list[str] = []
        self._why: dict[str, int] = {}

    def why(self, reason: str) -> int:
        index = self._why.get(reason)
        if index is None:
            index = self._why[reason] = len(self.whys)
            self.whys.append(reason)
        return index

    def ref(self, key: Any, row: Any) -> int:
        """The index of the source ``key`` (``row()`` makes its [record_id, system, source_key, version, updated_at])."""
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.rows)
            self.rows.append(row())
        return index


def document(domain: str | None, table: SourceTable, entries: dict[str, Any]) -> dict[str, Any]:
    """The compact document (an empty lineage stays ``{}``)."""
    if not entries:
        return {}
    out: dict[str, Any] = {MARKER: VERSION}
    if domain is not None:
        out[_DOMAIN] = domain
    out[_SOURCES] = table.rows
    if table.whys:
        out[_WHY] = table.whys
    out.update(entries)
    return out


def compact(lineage: Mapping[str, Any]) -> dict[str, Any]:
    """Verbose lineage in the compact form; every attribute whose compact entry would not
    expand to exactly its verbose entry is kept verbose. Compact input is returned as it is."""
    if is_compact(lineage):
        return dict(lineage)
    if _RESERVED & set(lineage):
        return dict(lineage)
    domain = None
    for entry in lineage.values():
        if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
            domain = domain_of(entry["rule"])
            break
    table = SourceTable()
    entries: dict[str, Any] = {}
    for name, entry in lineage.items():
        entries[name] = _compact_entry(domain, name, entry, table)
    out = document(domain, table, entries)
    # Whole-document check, with the final source table (entries that fell back are verbatim).
    if _text(expand(out)) != _text(dict(lineage)) or _text(out) is None:
        return dict(lineage)
    return out


def _compact_entry(domain: str | None, name: str, entry: Any, table: SourceTable) -> Any:
    try:
        out = _try_compact_entry(domain, name, entry, table)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return entry
    if out is None:
        return entry
    expected = _text(entry)
    if expected is None or _text(_expand_entry(domain, name, out, table.rows, table.whys, {})) != expected:
        return entry
    return out


def _try_compact_entry(domain: str | None, name: str, entry: Any, table: SourceTable) -> dict[str, Any] | None:
    if not isinstance(entry, dict) or entry.get("attribute") != name:
        return None
    rule, tie_breaker = entry["rule"], entry.get("tie_breaker")
    if not isinstance(rule, str):
        return None
    chosen = chosen_reason(rule, tie_breaker)
    candidates = []
    winner = entry.get("winner")
    w = None
    for i, trace in enumerate(entry.get("candidates", [])):
        c = trace["candidate"]
        if list(c) != ["value", *_SOURCE_FIELDS] or set(trace) != {"candidate", "outcome", "reason"}:
            return None
        fields = tuple(c[f] for f in _SOURCE_FIELDS)
        index = table.ref(_text(fields), lambda: [c["record_id"], c["system"], c["source_key"],
                                                          c["version"], c["updated_at"]])
        item = [index, OUTCOME_CODES[trace["outcome"]], c["value"]]
        if trace["reason"] != chosen:
            if type(trace["reason"]) is not str:
                return None
            item.append(table.why(trace["reason"]))
        candidates.append(item)
        if w is None and winner is not None and _text(winner) == _text(c):
            w = i
    if winner is not None and w is None:
        return None
    out: dict[str, Any] = {}
    key, text = split_rule(domain, name, rule)
    out[key] = text
    if candidates:
        out["c"] = candidates
    if w is not None:
        out["w"] = w
        if not same_json(entry["value"], candidates[w][2]):
            out["v"] = entry["value"]
    elif entry["value"] is not None:
        out["v"] = entry["value"]
    if entry["strategy"] != strategy_of(rule):
        out["s"] = entry["strategy"]
    if tie_breaker is not None:
        out["t"] = tie_breaker
    if entry.get("fallbacks"):
        out["f"] = list(entry["fallbacks"])
    if "override" in entry:
        out["o"] = entry["override"]
    return out
