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


def load_match_rules(rules_dir: Path, domain: str) -> MatchRules:
    return load_rules(rules_path(rules_dir, domain))


def load_survivorship_rules(rules_dir: Path, domain: str) -> SurvivorshipRules:
    return load_survivorship(rules_path(rules_dir, domain))


def read_rule_file(path: Path) -> dict:
    """A rule file's raw sections (for sections without a loader of their own)."""
    return _read(path, RulesError)
