"""Engine and session factories. Nothing connects at import time.

The ledger holds personal data, so engines never print it: `hide_parameters=True` keeps the
bound values (phones, names, what a citizen wrote) out of the text of a failed statement, which
ends up in logs and tracebacks. A SQLite file made here is 0600 and its new folder 0700; SQLite
gives the -wal and -shm files the mode of the database file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker


def private_sqlite_file(database: str) -> None:
    """Creates the SQLite file `database` empty with mode 0600 (its folder 0700 if new), so that
    SQLite, which would create it 0644 under the usual umask, only opens it. An existing file is
    left as it is: its owner chose its mode."""
    path = Path(database)
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process made it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, *, busy_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys, and a private file."""
    if busy_timeout_s is None:
        from bot.config import get_settings

        busy_timeout_s = get_settings().sqlite_busy_timeout_s
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            private_sqlite_file(parsed.database)
        connect_args = {"check_same_thread": False, "timeout": busy_timeout_s}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cur.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _hide_row_values)
    return engine


def _hide_row_values(ctx: Any) -> None:
    """PostgreSQL puts the offending row's values in an error's DETAIL line (「Failing row contains
    (…, 13812345678, …)」, 「Key (phone)=(…) already exists」), which hide_parameters does not
    reach: drop that line from the driver's error and from SQLAlchemy's, which copied it."""
    for exc in (ctx.original_exception, ctx.sqlalchemy_exception):
        if exc is None or not exc.args or not isinstance(exc.args[0], str):
            continue
        message = exc.args[0]
        if "\nDETAIL:" in message:
            head, _, rest = message.partition("\nDETAIL:")
            # SQLAlchemy's own message continues after the driver's (the statement, a link)
            tail = rest[rest.index("\n") :] if "\n" in rest else ""
            exc.args = (f"{head}\nDETAIL: [hidden: it may hold personal data]{tail}", *exc.args[1:])


class Transactional(Protocol):
    """What a module built on the case store needs from it (the store satisfies this)."""

    def transaction(self) -> AbstractContextManager[Session]: ...


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session, one transaction: committed on success, rolled back on any error.

    Database outages become `StoreUnavailable` (callers tell the citizen to retry); integrity
    errors pass through, since they mean "someone else wrote this first", not "database down".
    """
    from bot.exceptions import StoreUnavailable

    session = sessions()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        if isinstance(exc, IntegrityError):
            raise
        raise StoreUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
