"""Dispatcher settings from the environment (`MDM_PUBLISH_*`)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from mdm.publish.dispatcher import DispatcherConfig
from mdm.publish.policy import RetryPolicy
from mdm.publish.sinks import DEFAULT_AMQP_URL


class PublishSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MDM_PUBLISH_", extra="ignore")

    amqp_url: str = DEFAULT_AMQP_URL
    batch_size: int = 500
    concurrency: int = 64
    poll_interval: float = 0.1
    lease_seconds: float = 60.0
    retry_base: float = 1.0
    retry_cap: float = 600.0

    def dispatcher_config(self, **overrides) -> DispatcherConfig:
        values = {k: v for k, v in overrides.items() if v is not None}
        retry = RetryPolicy(base=values.pop("retry_base", self.retry_base), cap=self.retry_cap)
        return DispatcherConfig(
            batch_size=values.get("batch_size", self.batch_size),
            concurrency=values.get("concurrency", self.concurrency),
            poll_interval=values.get("poll_interval", self.poll_interval),
            lease_seconds=values.get("lease_seconds", self.lease_seconds),
            amqp_url=values.get("amqp_url", self.amqp_url),
            retry=retry,
        )
