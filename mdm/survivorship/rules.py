"""Survivorship rules as validated data, loaded from YAML.

A rule file section names the sources and their trust, a domain default
chain and, per attribute, a chain of strategies tried in order plus the
validation rules a candidate value must pass::

    domain: customer
    sources:
      ERP: {trust: 0.9}
      CRM: {trust: 0.8, decay: {kind: exponential, half_life_days: 180, floor: 0.3}}
    survivorship:
      trust_decay: {kind: exponential, half_life_days: 365, floor: 0.2}
      default: [most_recent, most_complete]
      attributes:
        credit_limit:
          chain: [{source_priority: [ERP]}, most_recent]
          validate: [non_negative]
        email: [{source_priority: [CRM, ERP]}, most_recent]   # chain shorthand
        city: [{same_source_as: address_line1}]

A step is a strategy name or ``{name: parameter}``; ``steward_override``
is implied first in every chain. Top-level keys other than ``domain``,
``sources`` and ``survivorship`` belong to other sections (match rules) and
are ignored here.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from mdm.models.fields import CANONICAL_FIELDS
from mdm.survivorship import strategies as _strategies  # noqa: F401  (registers built-in strategies)
from mdm.survivorship import validators as _validators  # noqa: F401  (registers built-in validation rules)
from mdm.survivorship.registry import Registry, strategies, validators
from mdm.survivorship.trust import NO_DECAY, TrustDecay
from mdm.rulefile import read_rule_file

STEWARD_OVERRIDE = "steward_override"
SAME_SOURCE_AS = "same_source_as"
SOURCE_PRIORITY = "source_priority"


class SurvivorshipRulesError(ValueError):
    """Survivorship rules are invalid: names the file, the path inside it and the reason."""

    def __init__(self, file: str, path: str, reason: str):
        self.file, self.path, self.reason = file, path, reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


def _fail(path: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError("survivorship_rule", "{reason}", {"path": path, "reason": reason})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    """A registry entry by name with its parsed parameter: ``most_recent`` or ``{regex: '^A'}``."""

    registry: ClassVar[Registry]
    name: str
    param: Any = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            name, raw = value.strip(), None
        elif isinstance(value, dict) and set(value) <= {"name", "param"} and "name" in value:
            name, raw = value["name"], value.get("param")
        elif isinstance(value, dict) and len(value) == 1:
            name, raw = next(iter(value.items()))
        else:
            raise ValueError(f"expected a {cls.registry.what} name or {{name: parameter}}, got {value!r}")
        if name not in cls.registry:
            raise ValueError(f"unknown {cls.registry.what} {name!r}; known: {', '.join(cls.registry.names())}")
        try:
            param = cls.registry[name].parse_param(raw)
        except ValidationError as exc:
            raise ValueError(f"{name}: bad parameter {raw!r}: {exc.errors()[0]['msg']}") from None
        return {"name": name, "param": param}

    def describe(self) -> str:
        if self.param is None:
            return self.name
        if isinstance(self.param, re.Pattern):
            return f"{self.name} {self.param.pattern}"
        if isinstance(self.param, list):
            return f"{self.name} [{', '.join(map(str, self.param))}]"
        if isinstance(self.param, BaseModel):
            return f"{self.name} {self.param.model_dump(exclude_defaults=True)}"
        return f"{self.name} {self.param}"


class Step(_Named):
    """One strategy in an attribute's chain."""

    registry: ClassVar[Registry] = strategies


class Check(_Named):
    """One validation rule a candidate value must pass."""

    registry: ClassVar[Registry] = validators


DEFAULT_UNKNOWN_SOURCE_TRUST = 0.5


class SourceSettings(_Strict):
    trust: float = Field(ge=0, le=1)
    decay: TrustDecay | None = None


class AttributeRule(_Strict):
    """An attribute's chain (None: the domain default) and validation rules."""

    chain: list[Step] | None = Field(default=None, min_length=1)
    validate_: list[Check] = Field(default=[], alias="validate")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _chain_shorthand(cls, value: Any) -> Any:
        return {"chain": value} if isinstance(value, list) else value


class SurvivorshipSection(_Strict):
    default: list[Step] = Field(min_length=1)
    attributes: dict[str, AttributeRule] = {}
    trust_decay: TrustDecay = NO_DECAY
    unknown_source_trust: float = Field(default=DEFAULT_UNKNOWN_SOURCE_TRUST, ge=0, le=1)


class SurvivorshipRules(BaseModel):
    """Validated survivorship rules for one domain."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    domain: str
    sources: dict[str, SourceSettings] = {}
    survivorship: SurvivorshipSection

    @model_validator(mode="after")
    def _consistent(self) -> "SurvivorshipRules":
        known = CANONICAL_FIELDS.get(self.domain)
        for name in self.survivorship.attributes:
            if known is not None and name not in known:
                raise _fail(f"survivorship.attributes.{name}", f"unknown {self.domain} attribute {name!r}")
        self._check_chain(self.survivorship.default, "survivorship.default")
        for name, rule in self.survivorship.attributes.items():
            if rule.chain is not None:
                self._check_chain(rule.chain, f"survivorship.attributes.{name}.chain", name)
        self._check_cycles()
        return self

    def _check_chain(self, chain: list[Step], path: str, attribute: str | None = None) -> None:
        for i, step in enumerate(chain):
            where = f"{path}[{i}]"
            if step.name == STEWARD_OVERRIDE and i > 0:
                raise _fail(where, "steward_override is always tried first; list it first or not at all")
            if step.name == SOURCE_PRIORITY:
                for system in step.param:
                    if system not in self.sources:
                        declared = ", ".join(self.sources) or "none"
                        raise _fail(where, f"source {system!r} is not declared under sources (declared: {declared})")
            if step.name == SAME_SOURCE_AS:
                if step.param not in self.attribute_names():
                    raise _fail(where, f"same_source_as: unknown {self.domain} attribute {step.param!r}")
                if step.param == attribute:
                    raise _fail(where, f"circular same_source_as: {attribute} -> {attribute}")

    def _check_cycles(self) -> None:
        targets = {a: self.same_source_targets(a) for a in self.attribute_names()}
        done: set[str] = set()

        def visit(attribute: str, trail: list[str]) -> None:
            if attribute in trail:
                cycle = trail[trail.index(attribute):] + [attribute]
                raise _fail(self._chain_path(cycle[0]), "circular same_source_as: " + " -> ".join(cycle))
            if attribute in done:
                return
            for target in targets.get(attribute, []):
                visit(target, trail + [attribute])
            done.add(attribute)

        for attribute in targets:
            visit(attribute, [])

    def _chain_path(self, attribute: str) -> str:
        rule = self.survivorship.attributes.get(attribute)
        return f"survivorship.attributes.{attribute}.chain" if rule and rule.chain else "survivorship.default"

    def attribute_names(self) -> list[str]:
        """Attributes a golden record gets: the domain's canonical fields, then any other configured."""
        names = list(CANONICAL_FIELDS.get(self.domain, ()))
        return names + [a for a in self.survivorship.attributes if a not in names]

    def chain_for(self, attribute: str) -> tuple[list[Step], bool]:
        """The attribute's chain and whether it is the domain default."""
        rule = self.survivorship.attributes.get(attribute)
        if rule is not None and rule.chain is not None:
            return rule.chain, False
        return self.survivorship.default, True

    def checks_for(self, attribute: str) -> list[Check]:
        rule = self.survivorship.attributes.get(attribute)
        return rule.validate_ if rule else []

    def same_source_targets(self, attribute: str) -> list[str]:
        return [s.param for s in self.chain_for(attribute)[0] if s.name == SAME_SOURCE_AS]

    def resolution_order(self, attributes: list[str]) -> list[str]:
        """``attributes`` with every same_source_as target before the attributes that follow it."""
        order: list[str] = []

        def place(attribute: str) -> None:
            if attribute in order:
                return
            for target in self.same_source_targets(attribute):
                place(target)
            order.append(attribute)

        for attribute in attributes:
            place(attribute)
        return order

    def trust_of(self, system: str) -> float:
        source = self.sources.get(system)
        return source.trust if source else self.survivorship.unknown_source_trust

    def decay_of(self, system: str) -> TrustDecay:
        source = self.sources.get(system)
        return source.decay if source and source.decay else self.survivorship.trust_decay


def parse_survivorship(data: Any, file: str = "<survivorship rules>") -> SurvivorshipRules:
    """Validate already-parsed YAML/JSON data; errors become ``SurvivorshipRulesError``."""
    if not isinstance(data, Mapping):
        raise SurvivorshipRulesError(file, "", "survivorship rules must be a mapping")
    try:
        return SurvivorshipRules.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        ctx = error.get("ctx") or {}
        path = ctx.get("path") or _error_path(error["loc"])
        reason = ctx.get("reason") or error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            reason = "required field is missing"
        raise SurvivorshipRulesError(file, path, reason) from exc


def load_survivorship(source: str | Path | Mapping[str, Any]) -> SurvivorshipRules:
    """Load survivorship rules from a YAML file or an already-parsed mapping."""
    if isinstance(source, Mapping):
        return parse_survivorship(source)
    path = Path(source)
    data = read_rule_file(path, SurvivorshipRulesError)
    return parse_survivorship(data, str(path))


def _error_path(loc: tuple) -> str:
    """('survivorship', 'attributes', 'email', 'chain', 0) -> 'survivorship.attributes.email.chain[0]'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "union[", "literal[")):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text
