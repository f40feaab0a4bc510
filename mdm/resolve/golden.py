"""Golden attributes from member source records.

The default builder takes, per attribute, the most recent non-empty value
(ties: the lowest record id), vectorized over every cluster at once."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

from mdm.models.fields import CANONICAL_FIELDS

# frame of affected records + cluster label per record -> label -> (attributes, lineage)
Builder = Callable[[str, pd.DataFrame, pd.Series], dict[Hashable, tuple[dict[str, Any], dict[str, Any]]]]


def most_recent_builder(domain: str, frame: pd.DataFrame, labels: pd.Series) -> dict:
    fields = [f for f in CANONICAL_FIELDS[domain] if f in frame.columns]
    ordered = frame.assign(_label=labels.reindex(frame.index).to_numpy(), _rid=frame.index.to_numpy())
    ordered = ordered.sort_values(["_label", "updated_at", "_rid"], ascending=[True, False, True], na_position="last")
    values = ordered.groupby("_label", sort=True)[fields].first()
    # The record that supplied each value: its id where the field is filled.
    rid_of = pd.DataFrame({f: ordered["_rid"].where(ordered[f].notna()) for f in fields})
    rid_of["_label"] = ordered["_label"].to_numpy()
    sources = rid_of.groupby("_label", sort=True)[fields].first()
    systems = frame["system"].to_dict()
    keys = frame["source_key"].to_dict()
    out: dict[Hashable, tuple[dict, dict]] = {}
    for label, row, src in zip(values.index, values.to_dict("records"), sources.to_dict("records")):
        attrs, lineage = {}, {}
        for field in fields:
            value = row[field]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            rid = int(src[field])
            attrs[field] = value
            lineage[field] = {
                "record_id": rid, "system": systems[rid], "source_key": keys[rid],
                "strategy": "most_recent", "rule": f"{domain}.default: most_recent",
            }
        out[label] = (attrs, lineage)
    return out
