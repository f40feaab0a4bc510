"""Publishing golden-record changes to subscribing systems.

Entry points (imported from their modules so that writing an outbox row
does not pull in HTTP and AMQP clients):
`mdm.publish.dispatcher.run_dispatcher(store, stop=...)`,
`mdm.publish.changelog.changes(session, since, first)`,
`mdm.publish.subscribers` (admin service layer),
`mdm.publish.exports` (file exports).

Every golden change writes an outbox row in the same transaction
(`outbox.py`). The dispatcher (`dispatcher.py`, `mdm publish`) turns rows
into CloudEvents 1.0 (`events.py`) and delivers them to subscribers
(`subscribers.py`, `mdm subscriber ...`) through a webhook signed per
Standard Webhooks or a RabbitMQ exchange (`sinks.py`). Pull consumers read
the same log with `changelog.changes()`; batch consumers with `mdm export`
(`exports.py`).

Delivery guarantees
-------------------
At least once, in order per golden record (CloudEvent `subject`): a
record's next event is sent only after the previous one was delivered or
dead-lettered. A retried or re-sent event carries the same `id` (and
`webhook-id`), so receivers deduplicate by id and can drop stale events by
the `version` extension. Each subscriber has its own queue and cursor; a
failing subscriber never holds back another. Several dispatchers may run
against PostgreSQL: claims are leases taken with `FOR UPDATE SKIP LOCKED`;
a dispatcher that dies mid-batch leaves its claims to expire
(`--lease-seconds`), after which another sends them again (same ids).
On SQLite run one dispatcher.

Retry and dead-letter policy (`policy.classify_http`, `policy.decide`)
--------------------------------------------------------------------
- 2xx: delivered.
- 5xx, 408, timeouts, connection errors (bad host, refused, reset), and for
  RabbitMQ a missing exchange, a nack or a lost connection: retried with
  exponential backoff (1 s, 2 s, 4 s, ... capped at 10 min, half of each delay
  random), up to the subscriber's `max_attempts` (default 8) attempts, then
  dead-lettered with the last reason.
- 429 and 503: retried after the response's Retry-After (seconds or
  HTTP-date, at most 1 h), else with backoff; they count as attempts.
- 410 Gone: the subscriber is paused with the reason; the event stays at the
  head of its queue, not counted as an attempt, and goes out on
  `mdm subscriber resume`.
- Any other 4xx (and 3xx: redirects are not followed): dead-lettered at once,
  since the receiver rejected this request and the same bytes will not fare
  better. Fix the receiver, then `mdm subscriber redrive NAME`.

A dead letter stops blocking its record, so later events of that record go
on; a redriven event may therefore arrive after a newer version (receivers
compare `version`). `mdm subscriber deadletters NAME` shows them with
their reasons; `redrive` puts them back with fresh attempts; `replay
--from-sequence N | --since ISO` sends everything from there again.

Filters: a subscriber names domains and change types (empty = all) and
optionally attributes: then `updated` events go out only when one of those
attributes changed; created, merged, split and deleted events always do.
"""
