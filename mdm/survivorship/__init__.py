"""Survivorship: which source value each golden attribute takes, and why.

Rules are data (``rules/<domain>.yaml, section ``survivorship````); the engine is pure::

    rules = load_survivorship("rules/customer.yaml")
    golden = build_golden(rules, members, now=now, overrides=overrides)
    golden.attributes["credit_limit"]      # "25000.00"
    golden.decisions["credit_limit"].rule  # "customer.credit_limit[0]: source_priority [ERP]"
    golden.lineage_json()                  # why each attribute has its value (the verbose trace)
    golden.lineage_stored()                # the same, compact: stored with the golden record version
    expand_lineage(stored)                 # stored lineage (either form) back to the verbose trace
"""

from mdm.survivorship.engine import TIE_BREAKER, build_golden, candidates_for, decide, validate_value
from mdm.survivorship.explain import EXPLAIN_COLUMNS, explain_rows
from mdm.survivorship.lineage import expand as expand_lineage
from mdm.survivorship.models import Candidate, CandidateTrace, Decision, GoldenBuild, MemberRecord, Override
from mdm.survivorship.registry import Registry, strategies, validators
from mdm.survivorship.rules import (
    AttributeRule,
    Check,
    SourceSettings,
    Step,
    SurvivorshipRules,
    SurvivorshipRulesError,
    load_survivorship,
    parse_survivorship,
)
from mdm.survivorship.strategies import Context, Narrowed, Settled, Undecided, keep_best, trust_at
from mdm.survivorship.trust import TrustDecay

__all__ = [
    "EXPLAIN_COLUMNS",
    "TIE_BREAKER",
    "AttributeRule",
    "Candidate",
    "CandidateTrace",
    "Check",
    "Context",
    "Decision",
    "GoldenBuild",
    "MemberRecord",
    "Narrowed",
    "Override",
    "Registry",
    "Settled",
    "SourceSettings",
    "Step",
    "SurvivorshipRules",
    "SurvivorshipRulesError",
    "TrustDecay",
    "Undecided",
    "build_golden",
    "candidates_for",
    "decide",
    "expand_lineage",
    "explain_rows",
    "keep_best",
    "load_survivorship",
    "parse_survivorship",
    "strategies",
    "trust_at",
    "validate_value",
    "validators",
]
