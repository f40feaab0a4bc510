"""Which golden id each cluster keeps: pure bookkeeping of merges and splits.

Rules (DESIGN.md): a merge keeps the older golden id and the other becomes an
alias; a split gives the split-off records a new id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field


@dataclass
class Assignment:
    # cluster label -> golden id it keeps (absent: needs a new id)
    kept: dict[Hashable, str] = field(default_factory=dict)
    # retired golden id -> survivor golden id it now aliases
    merged: dict[str, str] = field(default_factory=dict)
    # golden ids left with no member record at all
    emptied: list[str] = field(default_factory=list)
    # cluster labels that need a new golden id
    new: list[Hashable] = field(default_factory=list)


def assign_golden_ids(
    clusters: Mapping[Hashable, list[int]],
    current: Mapping[int, str],
    age: Mapping[str, tuple],
    previous_members: Mapping[str, list[int]] | None = None,
    seniority: Mapping[int, tuple] | None = None,
) -> Assignment:
    """clusters: label -> member record ids; current: record id -> golden id it
    belongs to now; age: golden id -> sort key, oldest first. previous_members:
    golden id -> all its current members (to spot ids left empty). seniority:
    record id -> when it joined its golden record; when a golden record splits
    into equal parts, the id stays with the part holding its longest-standing
    member, so the record split off is the one that gets a new id."""
    seniority = seniority or {}
    never = (float("inf"),)
    overlap: dict[str, Counter] = {}
    senior: dict[tuple[str, Hashable], tuple] = {}
    for label, members in clusters.items():
        for rid in members:
            gid = current.get(rid)
            if gid is not None:
                overlap.setdefault(gid, Counter())[label] += 1
                joined = seniority.get(rid, never)
                senior[gid, label] = min(senior.get((gid, label), joined), joined)
    out = Assignment()
    taken: set[Hashable] = set()
    # Oldest golden ids choose first, so a merge keeps the older id.
    for gid in sorted(overlap, key=lambda g: (age.get(g, ()), g)):
        ranked = sorted(overlap[gid].items(), key=lambda kv: (-kv[1], senior[gid, kv[0]], _order(kv[0])))
        free = next((label for label, _ in ranked if label not in taken), None)
        if free is not None:
            out.kept[free] = gid
            taken.add(free)
        else:
            out.merged[gid] = ranked[0][0]  # resolved to the survivor id below
    for gid, label in list(out.merged.items()):
        out.merged[gid] = out.kept[label]
    out.new = sorted((label for label in clusters if label not in taken), key=_order)
    if previous_members:
        out.emptied = sorted(g for g in previous_members if g not in overlap)
    return out


def _order(label: Hashable) -> tuple:
    return (str(type(label)), label)
