"""`mdm demo`: the newcomer's first run on the bundled seed data."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table
from sqlalchemy import func, select

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.apikey import print_demo_keys
from mdm.cli.matching import print_match_reports, run_matching
from mdm.cli.serve import run_server
from mdm.cli.setup import ensure_schema, load_one, print_load_results
from mdm.ingest import IngestError
from mdm.models.fields import DOMAINS
from mdm.settings import Settings
from mdm.store.tables import GoldenRecord, MatchCandidate

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "seed_data"
DATA_SUFFIXES = (".csv", ".jsonl", ".parquet")


def seed_files(seed_dir: Path) -> list[tuple[Path, Path]]:
    """(data file, mapping) pairs: `x.mapping.yaml` maps `x.csv|jsonl|parquet`."""
    pairs = []
    for mapping in sorted(seed_dir.glob("*.mapping.yaml")):
        stem = mapping.name.removesuffix(".mapping.yaml")
        data = next((seed_dir / f"{stem}{s}" for s in DATA_SUFFIXES if (seed_dir / f"{stem}{s}").exists()), None)
        if data is None:
            fail(f"{mapping}: no data file {stem}.csv|.jsonl|.parquet beside it")
        pairs.append((data, mapping))
    return pairs


def load_order(pairs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    # Prices refer to items and customers, so those load first.
    rank = {"customer": 0, "item": 1, "price": 2}
    return sorted(pairs, key=lambda p: (rank.get(yaml.safe_load(p[1].read_text()).get("domain"), 9), p[0].name))


@app.command()
def demo(
    seed_dir: Path = typer.Option(SEED_DIR, help="folder of seed files and their mappings"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve the API and console afterwards"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Initialize, load seed_data/, match, and serve: the first run."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    console.print(f"[bold]database[/] {store.engine.url.render_as_string()}")
    results = []
    try:
        for data, mapping in load_order(seed_files(seed_dir)):
            # Rejects land in the working folder, not in the bundled seed folder.
            results.append(load_one(store, data, mapping, settings, Path.cwd() / f"{data.name}.rejects.csv"))
    except IngestError as exc:
        fail(str(exc))
    print_load_results(results)
    print_match_reports(run_matching(store, settings, list(DOMAINS)))
    print_summary(store)
    print_demo_keys(store)
    store.close()
    if serve:
        console.print(f"steward console: [bold]http://{host}:{port}/steward[/] (sign in with the steward key)")
        run_server(host, port)


def print_summary(store) -> None:
    with store.session() as session:
        golden = dict(
            session.execute(
                select(GoldenRecord.domain, func.count()).where(GoldenRecord.status == "active").group_by(GoldenRecord.domain)
            ).all()
        )
        review = dict(
            session.execute(
                select(MatchCandidate.domain, func.count())
                .where(MatchCandidate.status == "pending")
                .group_by(MatchCandidate.domain)
            ).all()
        )
    table = Table(title="golden records")
    for col in ("domain", "golden records", "review candidates"):
        table.add_column(col, justify="left" if col == "domain" else "right")
    for domain in DOMAINS:
        table.add_row(domain, str(golden.get(domain, 0)), str(review.get(domain, 0)))
    console.print(table)
