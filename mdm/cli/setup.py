"""`mdm init` and `mdm load`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from mdm.cli.app import app, console, fail, open_store
from mdm.ingest import IngestError, LoadResult, load_file, load_mapping
from mdm.settings import Settings
from mdm.store.migrate import pending, upgrade


def ensure_schema(store) -> None:
    try:
        if pending(store.engine):
            upgrade(store.engine)
    except OperationalError as exc:
        fail(f"cannot reach the database {store.engine.url.render_as_string()}: {exc.orig}")


@app.command()
def init() -> None:
    """Create or migrate the database schema."""
    settings = Settings()
    store = open_store(settings)
    try:
        upgrade(store.engine)
    except OperationalError as exc:
        fail(f"cannot reach the database {store.engine.url.render_as_string()}: {exc.orig}")
    finally:
        store.close()
    console.print(f"schema ready at {store.engine.url.render_as_string()}")


@app.command()
def load(
    file: Path = typer.Argument(..., help="CSV, JSON Lines or Parquet file"),
    mapping: Path = typer.Option(..., "--mapping", "-m", help="mapping YAML for this file"),
    rejects: Path | None = typer.Option(None, "--rejects", help="where to write the rejects CSV"),
) -> None:
    """Load a source file through its mapping. Prints read, stored, unchanged, rejected."""
    settings = Settings()
    store = open_store(settings)
    ensure_schema(store)
    try:
        result = load_one(store, file, mapping, settings, rejects)
    except IngestError as exc:
        fail(str(exc))
    finally:
        store.close()
    print_load_results([result])


def load_one(store, file: Path, mapping_path: Path, settings: Settings, rejects: Path | None = None) -> LoadResult:
    mapping = load_mapping(mapping_path)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{file.name}: {stage}", total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        with store.session() as session:
            return load_file(
                session, file, mapping, default_region=settings.default_region,
                batch_size=settings.load_batch_size, rejects_path=rejects, progress=progress,
            )


def print_load_results(results: list[LoadResult]) -> None:
    table = Table(title="load")
    for col in ("file", "system", "domain", "read", "stored", "unchanged", "rejected", "field errors"):
        table.add_column(col, justify="right" if col not in ("file", "system", "domain") else "left")
    for r in results:
        table.add_row(
            Path(r.file).name, r.system, r.domain, str(r.read), str(r.stored), str(r.unchanged),
            str(r.rejected), str(r.field_errors),
        )
    console.print(table)
    for r in results:
        if r.rejects_path:
            console.print(f"rejects of {Path(r.file).name}: {r.rejects_path}")
