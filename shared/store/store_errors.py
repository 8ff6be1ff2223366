"""Store errors by what they mean for the entry being stored.

* The database refuses this article (a value out of range, a constraint, a limit such as
  tsvector's 1 MB): it would refuse it again on every retry, so it is `Rejected` and
  dead-lettered at once, and the next article is stored.
* The database cannot be reached (refused connection, shutdown, lost connection, disk full,
  locked) or cannot be written (read-only: a standby after a failover, maintenance): the
  article is fine, it is `Unavailable`, kept pending and the stage pauses.
* Anything else is returned as it is: retried like any failure, then dead-lettered.

psycopg files `ProgramLimitExceeded` (SQLSTATE class 54) under `OperationalError`, the
class of connection failures, so it is picked out before the connection errors.
"""

from __future__ import annotations

import sqlite3

import psycopg
from psycopg import errors as pg_errors

from shared.errors import Rejected, Unavailable
from shared.secret_text import masked

REASON = "store_rejected"


# psycopg files "cannot execute INSERT in a read-only transaction" (SQLSTATE 25006) under
# InternalError: retried as a failure, every article was dead-lettered during a failover.
_CANNOT_WRITE_NOW = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    pg_errors.ReadOnlySqlTransaction,
)


class QueryTooSlow(Unavailable):
    """A read cut off by the statement timeout: the store is up, the query too broad for it
    (its message says so, for the caller)."""


def postgres_failure(exc: psycopg.Error) -> Exception:
    if isinstance(exc, psycopg.DataError | psycopg.IntegrityError | pg_errors.ProgramLimitExceeded):
        return Rejected(REASON, f"PostgreSQL refused the article: {_described(exc)}")
    if isinstance(exc, _CANNOT_WRITE_NOW):
        return Unavailable(f"PostgreSQL: {_described(exc)}")
    return exc


def sqlite_failure(exc: Exception) -> Exception:
    # OverflowError: an integer over 64 bits, refused by the driver before SQLite sees it.
    if isinstance(exc, sqlite3.DataError | sqlite3.IntegrityError | OverflowError):
        return Rejected(REASON, f"SQLite refused the article: {_described(exc)}")
    if isinstance(exc, sqlite3.OperationalError):
        # Locked by another writer past busy_timeout, or the disk is full: retry later.
        return Unavailable(f"SQLite: {_described(exc)}")
    return exc


def _described(exc: Exception) -> str:
    # A connection error may quote the connection string, password included.
    return masked(f"{type(exc).__name__}: {exc}")[:1000]
