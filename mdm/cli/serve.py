"""`mdm serve` (the GraphQL API, console, probes and metrics) and `mdm schema`."""

from __future__ import annotations

import os

import typer

from mdm.cli.app import app, console, open_store
from mdm.cli.setup import ensure_schema
from mdm.settings import Settings


def run_server(host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    import uvicorn

    console.print(f"GraphQL (GraphiQL) at [bold]http://{host}:{port}/graphql[/], console at /steward, probes /healthz /readyz, /metrics")
    uvicorn.run(
        "mdm.api.app:create_app_from_env", factory=True, host=host, port=port, workers=workers, log_level=log_level
    )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, min=1, help="worker processes (use PostgreSQL for more than one)"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
    with_publisher: bool = typer.Option(False, "--with-publisher", help="also run the change dispatcher (webhooks, RabbitMQ)"),
) -> None:
    """Serve the GraphQL API at /graphql, the steward console at /steward, /healthz, /readyz and /metrics."""
    if with_publisher:
        # Read by every worker's app factory (MDM_ settings).
        os.environ["MDM_SERVE_WITH_PUBLISHER"] = "1"
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    store.close()
    run_server(host, port, workers, log_level)


@app.command("schema")
def print_schema() -> None:
    """Print the GraphQL schema (SDL); `mdm schema > graphql/schema.graphql` refreshes the contract."""
    from mdm.api.schema import sdl

    typer.echo(sdl(), nl=False)
