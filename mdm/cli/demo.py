"""`mdm demo`: the newcomer's first run on the bundled seed data."""

from __future__ import annotations

from pathlib import Path

import typer

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema, load_one, print_load_results
from mdm.ingest import IngestError
from mdm.settings import Settings

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
    import yaml

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
            results.append(load_one(store, data, mapping, settings))
    except IngestError as exc:
        fail(str(exc))
    print_load_results(results)
    for hook in DEMO_STEPS:
        hook(store, settings)
    store.close()
    if serve:
        for hook in SERVE_STEPS:
            hook(settings, host, port)


# Later stages (matching, keys, serving) register themselves here.
DEMO_STEPS: list = []
SERVE_STEPS: list = []
