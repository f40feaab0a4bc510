"""Hub metrics for Prometheus, read from the store at scrape time.

```python
registry.register(HubCollector(store))
```
Every worker answers a scrape with the same numbers, because they are counts
in the shared store and not counters kept in one process. A scrape within
`cache_seconds` of the last one gets the same numbers without touching the
store, so many scrapers (or one per worker) stay cheap."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mdm.ops.status import HubStatus, hub_status
from mdm.store.publishing_tables import Delivery, Subscriber
from mdm.store.tables import LoadBatch, MatchCandidate, Reject, Xref

DEFAULT_CACHE_SECONDS = 2.0
log = logging.getLogger(__name__)


def hub_metrics(session: Session, *, now: datetime) -> list[Metric]:
    """Pure read: the metric families of the hub's state at `now`."""
    status = hub_status(session, now=now)
    families = [*_golden_and_queue(status, now), *_subscribers(session, status, now)]
    families += _ingest(session)
    families += _matching(session)
    return families


def _gauge(name: str, doc: str, labels: list[str], rows: Iterable[tuple]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, number in rows:
        family.add_metric([str(v) for v in values], float(number))
    return family


def _counter(name: str, doc: str, labels: list[str], rows: Iterable[tuple]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for *values, number in rows:
        family.add_metric([str(v) for v in values], float(number or 0))
    return family


def _golden_and_queue(status: HubStatus, now: datetime) -> list[Metric]:
    return [
        _gauge("mdm_golden_records", "Golden records by domain and status (merged: kept as aliases).",
               ["domain", "status"], ((d, s, n) for (d, s), n in sorted(status.golden.items()))),
        _gauge("mdm_source_records", "Live (not deleted) source records by domain.",
               ["domain"], sorted(status.source_records.items())),
        _gauge("mdm_review_queue_size", "Match candidates and price conflicts waiting for a steward.",
               ["domain", "kind"], ((d, k, n) for (d, k), (n, _) in sorted(status.queue.items()))),
        _gauge("mdm_review_queue_oldest_age_seconds", "Age of the oldest item waiting in a review queue.",
               ["domain", "kind"],
               ((d, k, max((now - oldest).total_seconds(), 0.0)) for (d, k), (_, oldest) in sorted(status.queue.items())
                if oldest is not None)),
        _gauge("mdm_outbox_sequence", "Sequence of the newest change event in the outbox.", [],
               [(status.outbox_sequence,)]),
    ]


def _subscribers(session: Session, status: HubStatus, now: datetime) -> list[Metric]:
    subs = status.subscribers
    attempts = dict(
        session.execute(
            select(Subscriber.name, func.coalesce(func.sum(Delivery.attempts), 0))
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .group_by(Subscriber.name)
        ).all()
    )
    retrying = dict(
        session.execute(
            select(Subscriber.name, func.count())
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.status == "pending", Delivery.attempts > 0)
            .group_by(Subscriber.name)
        ).all()
    )
    delivered = dict(session.execute(select(Subscriber.name, Subscriber.delivered)).all())
    return [
        _gauge("mdm_subscriber_backlog", "Events not yet delivered to a subscriber (queued or not yet routed).",
               ["subscriber"], ((s.name, s.backlog) for s in subs)),
        _gauge("mdm_subscriber_lag_seconds", "Age of the oldest event a subscriber has not received yet.",
               ["subscriber"], ((s.name, s.lag_seconds) for s in subs)),
        _gauge("mdm_subscriber_dead_letters", "Events given up for a subscriber, waiting for a redrive.",
               ["subscriber"], ((s.name, s.dead_letters) for s in subs)),
        _gauge("mdm_subscriber_paused", "1 while a subscriber is paused (by an operator or the dispatcher).",
               ["subscriber"], ((s.name, int(s.state != "active")) for s in subs)),
        _gauge("mdm_subscriber_retrying", "Queued events that failed at least once and wait for a retry.",
               ["subscriber"], ((s.name, retrying.get(s.name, 0)) for s in subs)),
        _gauge("mdm_delivery_failed_attempts", "Attempts spent on events still queued or dead-lettered.",
               ["subscriber"], ((s.name, attempts.get(s.name, 0)) for s in subs)),
        _counter("mdm_subscriber_delivered", "Events delivered to a subscriber.",
                 ["subscriber"], ((s.name, delivered.get(s.name, 0)) for s in subs)),
        _gauge("mdm_subscriber_last_delivery_timestamp_seconds", "When a subscriber last received an event.",
               ["subscriber"], ((s.name, s.last_delivered_at.timestamp()) for s in subs if s.last_delivered_at)),
    ]


def _ingest(session: Session) -> list[Metric]:
    loads = session.execute(
        select(LoadBatch.system, LoadBatch.domain, func.sum(LoadBatch.stored), func.sum(LoadBatch.unchanged),
               func.sum(LoadBatch.rejected), func.max(LoadBatch.finished_at))
        .group_by(LoadBatch.system, LoadBatch.domain)
        .order_by(LoadBatch.system, LoadBatch.domain)
    ).all()
    ingested = [
        (system, domain, outcome, n)
        for system, domain, stored, unchanged, rejected, _ in loads
        for outcome, n in (("stored", stored), ("unchanged", unchanged), ("rejected", rejected))
    ]
    rejects = session.execute(
        select(LoadBatch.system, Reject.row_rejected, func.count())
        .join(LoadBatch, LoadBatch.id == Reject.load_id)
        .group_by(LoadBatch.system, Reject.row_rejected)
        .order_by(LoadBatch.system)
    ).all()
    return [
        _counter("mdm_records_ingested", "Source records received by file loads and API ingests, by outcome.",
                 ["system", "domain", "outcome"], ingested),
        _counter("mdm_rejects", "Rejects by source system: whole rows rejected, or single fields dropped.",
                 ["system", "kind"], ((system, "row" if whole else "field", n) for system, whole, n in rejects)),
        _gauge("mdm_last_load_timestamp_seconds", "When the last load (file or API) of a system and domain finished.",
               ["system", "domain"],
               ((system, domain, _epoch(finished)) for system, domain, *_, finished in loads if finished is not None)),
    ]


def _matching(session: Session) -> list[Metric]:
    links = session.execute(
        select(Xref.domain, Xref.decided_by, func.count()).group_by(Xref.domain, Xref.decided_by)
        .order_by(Xref.domain, Xref.decided_by)
    ).all()
    candidates = session.execute(
        select(MatchCandidate.domain, MatchCandidate.kind, MatchCandidate.status, func.count())
        .group_by(MatchCandidate.domain, MatchCandidate.kind, MatchCandidate.status)
        .order_by(MatchCandidate.domain, MatchCandidate.kind, MatchCandidate.status)
    ).all()
    return [
        _gauge("mdm_match_links", "Source records linked to a golden record, by who decided the link.",
               ["domain", "decided_by"], links),
        _counter("mdm_match_candidates", "Pairs sent to review, by status (pending or how a steward settled them).",
                 ["domain", "kind", "status"], candidates),
    ]


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


class HubCollector(Collector):
    """A prometheus_client collector over the store, cached for a few seconds.

    When the store cannot be read the scrape still answers, with
    `mdm_store_up 0` and no hub numbers, so the outage itself is visible."""

    def __init__(
        self, store, *, cache_seconds: float = DEFAULT_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if self._cached is None or self.clock() - self._cached[0] >= self.cache_seconds:
                self._cached = (self.clock(), self._read())
            return list(self._cached[1])

    def _read(self) -> list[Metric]:
        start = time.perf_counter()
        try:
            with self.store.session() as session:
                families = hub_metrics(session, now=datetime.now(timezone.utc))
            up = 1
        except Exception:  # any store failure: report it as a metric, never fail the scrape
            log.exception("reading hub metrics from the store failed")
            families, up = [], 0
        families.append(_gauge("mdm_store_up", "1 when the hub's metrics could be read from the store.", [], [(up,)]))
        families.append(_gauge("mdm_hub_metrics_read_seconds", "Time spent reading the hub's metrics from the store.", [],
                               [(time.perf_counter() - start,)]))
        return families
