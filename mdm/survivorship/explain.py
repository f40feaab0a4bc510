"""Survivorship decisions as rows of a readable table (CLI, console, exports)."""

from collections.abc import Mapping

from mdm.survivorship.models import Decision
from mdm.survivorship.values import is_empty, show

EXPLAIN_COLUMNS = ("attribute", "value", "system", "source_key", "rule", "tie_breaker", "candidates")


def explain_rows(decisions: Mapping[str, Decision]) -> list[dict[str, str]]:
    """One row per attribute: its value, where it came from, the rule, and every other candidate's fate.

    ``candidates`` holds one line per candidate that did not win: "lost CRM:C-9 'x': why".
    """
    rows = []
    for attribute, d in decisions.items():
        if d.winner is not None:
            system, source_key = d.winner.system, d.winner.source_key
        elif d.override is not None:
            system, source_key = "steward", d.override.actor
        else:
            won = [t.candidate for t in d.candidates if t.outcome == "won"]
            system = ", ".join(dict.fromkeys(c.system for c in won))
            source_key = ", ".join(c.source_key for c in won)
        rows.append(
            {
                "attribute": attribute,
                "value": "" if is_empty(d.value) else show(d.value),
                "system": system,
                "source_key": source_key,
                "rule": d.rule,
                "tie_breaker": d.tie_breaker or "",
                "candidates": "\n".join(
                    f"{t.outcome} {t.candidate.label} {show(t.candidate.value)!r}: {t.reason}"
                    for t in d.candidates
                    if t.outcome != "won"
                ),
            }
        )
    return rows
