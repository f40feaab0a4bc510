"""Store: tables, engine, migrations and repositories."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mdm.store.engine import make_engine, make_session_factory


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        return cls(engine, make_session_factory(engine))

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Store", "make_engine", "make_session_factory"]
