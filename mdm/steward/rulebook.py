"""The rules a steward action needs, read once per domain from the rules folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mdm.match.rules import MatchRules
from mdm.rules import MATCHED_DOMAINS, load_match_rules, load_survivorship_rules
from mdm.steward.errors import StewardError
from mdm.survivorship import SurvivorshipRules


@dataclass
class RuleBook:
    """Match and survivorship rules per domain, cached.

    ```python
    rules = RuleBook(Settings().rules_dir)
    rules.match("customer").thresholds.auto_merge
    ```
    """

    rules_dir: Path
    _match: dict[str, MatchRules] = field(default_factory=dict)
    _survivorship: dict[str, SurvivorshipRules] = field(default_factory=dict)

    def match(self, domain: str) -> MatchRules:
        matched_domain(domain)
        if domain not in self._match:
            self._match[domain] = load_match_rules(self.rules_dir, domain)
        return self._match[domain]

    def survivorship(self, domain: str) -> SurvivorshipRules:
        matched_domain(domain)
        if domain not in self._survivorship:
            self._survivorship[domain] = load_survivorship_rules(self.rules_dir, domain)
        return self._survivorship[domain]


def matched_domain(domain: str) -> str:
    """Steward merges, splits and overrides act on matched domains only:
    golden prices are settled from the golden items and customers."""
    if domain not in MATCHED_DOMAINS:
        raise StewardError(f"stewards merge, split and override {' and '.join(MATCHED_DOMAINS)} records, not {domain}")
    return domain
