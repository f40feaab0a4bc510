"""Per-request context: the caller, the store, and fresh DataLoaders.

Resolvers are async; store access is sync SQLAlchemy run in the thread pool,
one short session per call, so concurrent loaders never share a session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from mdm.api import reads
from mdm.api.keys import Principal
from mdm.api.search import SearchIndex
from mdm.rules import load_match_rules
from mdm.steward import RuleBook

T = TypeVar("T")


@dataclass
class Services:
    """What the app shares across requests (built once by create_app)."""

    store: Any
    settings: Any
    keyring: Any
    # How often a subscription polls the change log, in seconds.
    poll_interval: float = 0.5
    _rules: dict[str, Any] = field(default_factory=dict)
    _search: dict[str, SearchIndex] = field(default_factory=dict)
    _rulebook: RuleBook | None = None

    def rules_for(self, domain: str):
        """The domain's match rules, read once per process."""
        if domain not in self._rules:
            self._rules[domain] = load_match_rules(self.settings.rules_dir, domain)
        return self._rules[domain]

    def rulebook(self) -> RuleBook:
        """Match and survivorship rules for steward actions, read once per process."""
        if self._rulebook is None:
            self._rulebook = RuleBook(self.settings.rules_dir)
        return self._rulebook

    def search_index(self, domain: str) -> SearchIndex:
        return self._search.setdefault(domain, SearchIndex(domain))

    def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        with self.store.session() as session:
            return fn(session, *args, **kwargs)

    async def db(self, fn: Callable[..., T], *args, **kwargs) -> T:
        return await run_in_threadpool(self.run, fn, *args, **kwargs)


def _loader(services: Services, fn: Callable[[Session, list], list]) -> DataLoader:
    async def load(keys: list) -> list:
        return await services.db(fn, list(keys))

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    golden: DataLoader
    by_source_key: DataLoader
    members: DataLoader
    history: DataLoader
    candidates: DataLoader
    source_records: DataLoader
    prices: DataLoader

    @classmethod
    def create(cls, services: Services) -> Loaders:
        return cls(
            golden=_loader(services, reads.golden_by_ids),
            by_source_key=_loader(services, reads.golden_by_source_keys),
            members=_loader(services, reads.members_of),
            history=_loader(services, reads.history_of),
            candidates=_loader(services, reads.open_candidates_of),
            source_records=_loader(services, reads.source_records_by_ids),
            prices=_loader(services, reads.prices_of),
        )


@dataclass
class Context:
    services: Services
    principal: Principal | None
    request: Any = None
    response: Any = None
    # Set by the websocket handler from the connection_init payload.
    connection_params: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders.create(self.services)

    def fresh_loaders(self) -> Loaders:
        """New loaders: a subscription must not serve one event from another's cache."""
        self.loaders = Loaders.create(self.services)
        return self.loaders

    async def db(self, fn: Callable[..., T], *args, **kwargs) -> T:
        return await self.services.db(fn, *args, **kwargs)
