"""Per-domain rule files under MDM_RULES_DIR: `<domain>.yaml`.

One file holds a domain's match rules and its survivorship section; each
part is validated by its own model, and errors name the file."""

from __future__ import annotations

from pathlib import Path

from mdm.match.rules import MatchRules, RulesError, load_rules
from mdm.rulefile import read_rule_file as _read
from mdm.survivorship import SurvivorshipRules, load_survivorship

MATCHED_DOMAINS = ("customer", "item")


def rules_path(rules_dir: Path, domain: str) -> Path:
    return Path(rules_dir) / f"{domain}.yaml"


# Parsed rules by (file, kind), reused while the file is unchanged: real-time
# ingest matches on every request and must not re-parse YAML each time.
_PARSED: dict[tuple[Path, str], tuple[int, object]] = {}


def _cached(path: Path, kind: str, parse):
    stamp = path.stat().st_mtime_ns if path.exists() else -1
    hit = _PARSED.get((path, kind))
    if hit is None or hit[0] != stamp:
        hit = _PARSED[(path, kind)] = (stamp, parse(path))
    return hit[1]


def load_match_rules(rules_dir: Path, domain: str) -> MatchRules:
    return _cached(rules_path(rules_dir, domain).resolve(), "match", load_rules)


def load_survivorship_rules(rules_dir: Path, domain: str) -> SurvivorshipRules:
    return _cached(rules_path(rules_dir, domain).resolve(), "survivorship", load_survivorship)


def read_rule_file(path: Path) -> dict:
    """A rule file's raw sections (for sections without a loader of their own)."""
    return _read(path, RulesError)
