"""Store: tables, engine, migrations and repositories."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mdm.store.checkpoint import WalCheckpointer, sqlite_file
from mdm.store.engine import make_engine, make_session_factory


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    checkpointer: WalCheckpointer | None = field(default=None, init=False)

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        return cls(engine, make_session_factory(engine))

    def session(self) -> Session:
        return self.sessions()

    def start_checkpoints(self) -> WalCheckpointer | None:
        """Checkpoint a SQLite file's WAL from a background thread (see ``mdm.store.checkpoint``),
        as a server taking real-time writes does; None on other databases."""
        path = sqlite_file(self.engine.url)
        if path is not None and self.checkpointer is None:
            self.checkpointer = WalCheckpointer(path).start()
        return self.checkpointer

    def stop_checkpoints(self) -> None:
        checkpointer, self.checkpointer = self.checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()

    def close(self) -> None:
        self.stop_checkpoints()
        self.engine.dispose()


__all__ = ["Store", "make_engine", "make_session_factory"]
