"""Stewardship: the review queue and the decisions stewards make on it.

The service layer under the GraphQL mutations and `mdm steward`; plain
functions of a session, the rules and the clock.

```python
rules = RuleBook(Settings().rules_dir)
total, entries = review_queue(session, QueueFilter(domain="customer"), rules=rules, now=now)
merge(session, entries[0].candidate.id, actor="cli:ann", reason="same tax id", rules=rules, now=now)
```
"""

from mdm.steward.actions import (
    Outcome,
    acknowledge_price_conflict,
    bulk,
    bulk_selection,
    decisions,
    decisions_about,
    merge,
    not_a_match,
    override,
    pinned_attributes,
    split,
    undo,
    unpin,
)
from mdm.steward.errors import Conflict, NotFound, StewardError
from mdm.steward.queue import (
    Comparison,
    Preview,
    QueueEntry,
    QueueFilter,
    compare,
    merge_preview,
    queue_entry,
    review_queue,
)
from mdm.steward.rulebook import RuleBook
from mdm.steward.stats import Stats, steward_stats

__all__ = [
    "Comparison",
    "Conflict",
    "NotFound",
    "Outcome",
    "Preview",
    "QueueEntry",
    "QueueFilter",
    "RuleBook",
    "Stats",
    "StewardError",
    "acknowledge_price_conflict",
    "bulk",
    "bulk_selection",
    "compare",
    "decisions",
    "decisions_about",
    "merge",
    "merge_preview",
    "not_a_match",
    "override",
    "pinned_attributes",
    "queue_entry",
    "review_queue",
    "split",
    "steward_stats",
    "undo",
    "unpin",
]
