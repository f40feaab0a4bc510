"""Per-domain rule files under MDM_RULES_DIR: `<domain>.yaml`.

One file holds a domain's match rules and its survivorship section; each
part is validated by its own model and errors name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mdm.match.rules import MatchRules, RulesError, load_rules
from mdm.survivorship import SurvivorshipRules, parse_survivorship

MATCHED_DOMAINS = ("customer", "item")


def rules_path(rules_dir: Path, domain: str) -> Path:
    return Path(rules_dir) / f"{domain}.yaml"


def read_rule_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(str(path), "", f"cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RulesError(str(path), where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise RulesError(str(path), "", "a rule file must be a mapping")
    return data


def load_match_rules(rules_dir: Path, domain: str) -> MatchRules:
    return load_rules(rules_path(rules_dir, domain))


def load_survivorship_rules(rules_dir: Path, domain: str) -> SurvivorshipRules:
    path = rules_path(rules_dir, domain)
    data = read_rule_file(path)
    if "survivorship" not in data:
        raise RulesError(str(path), "survivorship", "required section is missing")
    return parse_survivorship(data, str(path))
