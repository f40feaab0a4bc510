"""`mdm apikey create|list|revoke`: API keys for applications, source systems and stewards."""

from __future__ import annotations

import typer
from rich.table import Table

from mdm.cli.app import app, console, fail, open_store
from mdm.cli.setup import ensure_schema

apikey = typer.Typer(help="Manage API keys (stored hashed; a key is shown once, when created).", no_args_is_help=True)
app.add_typer(apikey, name="apikey")


@apikey.command("create")
def create(
    role: str = typer.Option(..., help="reader | publisher | steward | admin"),
    system: str | None = typer.Option(None, help="source system a publisher ingests for (required for publishers)"),
    name: str | None = typer.Option(None, help="who holds the key, e.g. the application's name"),
) -> None:
    """Create a key and print it once."""
    from mdm.api.keys import create_key

    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            created = create_key(session, role, system=system, name=name)
    except ValueError as exc:
        fail(str(exc))
    finally:
        store.close()
    typer.echo(created.key)
    console.print(f"role {created.row.role}, prefix {created.row.prefix}; store the key now: it is not shown again.")


@apikey.command("list")
def list_() -> None:
    """List keys (never their secrets)."""
    from mdm.api.keys import list_keys

    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            rows = list_keys(session)
    finally:
        store.close()
    table = Table(title="API keys")
    for col in ("prefix", "role", "system", "name", "created", "last used", "revoked"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.prefix, r.role, r.system or "", r.name or "", _when(r.created_at), _when(r.last_used_at), _when(r.revoked_at)
        )
    console.print(table)


@apikey.command("revoke")
def revoke(prefix_or_name: str = typer.Argument(..., help="the key's prefix (see `mdm apikey list`) or name")) -> None:
    """Revoke keys by prefix or name."""
    from mdm.api.keys import revoke_key

    store = open_store()
    ensure_schema(store)
    try:
        with store.session() as session:
            rows = revoke_key(session, prefix_or_name)
    finally:
        store.close()
    if not rows:
        fail(f"no active key with prefix or name {prefix_or_name!r}")
    console.print(f"revoked {', '.join(r.prefix for r in rows)}")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def print_demo_keys(store) -> None:
    """For `mdm demo`: fresh reader and steward keys, printed."""
    from mdm.api.keys import create_demo_keys

    keys = create_demo_keys(store)
    console.print(f"reader key:  [bold]{keys['reader']}[/]")
    console.print(f"steward key: [bold]{keys['steward']}[/]")
    console.print('try: curl -H "Authorization: Bearer <reader key>" -d \'{"query":"{ me { role } }"}\' '
                  "-H 'Content-Type: application/json' http://127.0.0.1:8000/graphql")
