"""Full-text index structures, kept in sync with ``items`` by the database itself.

Both backends index a *folded* copy (:func:`monitor.textnorm.fold`) of each item's title and text
(the summary when there is no text), so Persian yeh/kaf variants, ZWNJ, tatweel, harakat and Russian
ё compare equal on both sides of a search. Nothing that writes items has to cooperate:

- **SQLite**: a contentless FTS5 table ``items_fts(title, body)`` (tokenizer ``unicode61
  remove_diacritics 2``) filled by triggers on ``items``. The triggers call ``monitor_fold()``, an
  SQL function that runs :func:`monitor.textnorm.fold`; it is registered on every SQLite connection
  opened through SQLAlchemy (this module is imported by :mod:`monitor.db.models`). Writing items
  from a plain ``sqlite3`` shell therefore fails with "no such function: monitor_fold" instead of
  silently leaving the index behind.
- **PostgreSQL**: a table ``items_fts(item_id, doc tsvector)`` with a GIN index, filled by a trigger
  through ``items_fts_fold()``, an SQL function doing the same folding as :func:`fold`
  (NFKC, letter mapping, removal of joiners and harakat, lower case), with the ``simple`` config.

The DDL is applied by the initial migration (:func:`fts_upgrade_sql` / :func:`fts_downgrade_sql`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from monitor.textnorm import fold

log = logging.getLogger(__name__)

SQLITE_FUNCTION = "monitor_fold"


def _sqlite_fold(value: Any) -> str:
    return fold(value) if isinstance(value, str) else ""


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_conn: Any, _record: Any) -> None:
    module = type(dbapi_conn).__module__
    if "sqlite" not in module:
        return
    dbapi_conn.create_function(SQLITE_FUNCTION, 1, _sqlite_fold, deterministic=True)


# --------------------------------------------------------------------------- SQLite DDL

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE items_fts USING fts5("
    "title, body, content='', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(rowid, title, body) "
    "VALUES (new.id, monitor_fold(new.title), "
    "monitor_fold(CASE WHEN new.text <> '' THEN new.text ELSE new.summary END)); END",
    "CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, body) "
    "VALUES ('delete', old.id, monitor_fold(old.title), "
    "monitor_fold(CASE WHEN old.text <> '' THEN old.text ELSE old.summary END)); END",
    "CREATE TRIGGER items_fts_au AFTER UPDATE OF title, text, summary ON items "
    "WHEN old.title IS NOT new.title OR old.text IS NOT new.text OR old.summary IS NOT new.summary "
    "BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, body) "
    "VALUES ('delete', old.id, monitor_fold(old.title), "
    "monitor_fold(CASE WHEN old.text <> '' THEN old.text ELSE old.summary END)); "
    "INSERT INTO items_fts(rowid, title, body) "
    "VALUES (new.id, monitor_fold(new.title), "
    "monitor_fold(CASE WHEN new.text <> '' THEN new.text ELSE new.summary END)); END",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS items_fts_au",
    "DROP TRIGGER IF EXISTS items_fts_ad",
    "DROP TRIGGER IF EXISTS items_fts_ai",
    "DROP TABLE IF EXISTS items_fts",
]

# --------------------------------------------------------------------------- PostgreSQL DDL

# the same letters as monitor.textnorm._PERSIAN_MAP: mapped pairs first, then characters removed
_PG_MAP_FROM = (
    "\u064a\u0649\u0643\u0629\u0623\u0625\u0622\u0671\u06c0ёЁ"
    + "".join(chr(0x0660 + i) for i in range(10))
    + "".join(chr(0x06F0 + i) for i in range(10))
)
_PG_MAP_TO = "\u06cc\u06cc\u06a9\u0647\u0627\u0627\u0627\u0627\u0647ее" + "0123456789" * 2
_PG_DELETE = (
    "\u0640\u200c\u200d\u200e\u200f\u00ad"
    + "".join(chr(c) for c in range(0x064B, 0x0660))
    + "\u0670"
    + "".join(chr(c) for c in range(0x06D6, 0x06EE))
)


def _pg_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


PG_UPGRADE = [
    "CREATE FUNCTION items_fts_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT lower(translate(normalize(coalesce(t, ''), NFKC), "
    f"{_pg_literal(_PG_MAP_FROM + _PG_DELETE)}, {_pg_literal(_PG_MAP_TO)})) $$",
    "CREATE TABLE items_fts ("
    "item_id integer PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE, doc tsvector NOT NULL)",
    "CREATE INDEX items_fts_doc_idx ON items_fts USING gin (doc)",
    "CREATE FUNCTION items_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO items_fts(item_id, doc) VALUES (NEW.id, "
    "setweight(to_tsvector('simple', items_fts_fold(NEW.title)), 'A') || "
    "to_tsvector('simple', items_fts_fold(CASE WHEN NEW.text <> '' THEN NEW.text ELSE NEW.summary END)))"
    " ON CONFLICT (item_id) DO UPDATE SET doc = EXCLUDED.doc; RETURN NULL; END $$",
    "CREATE TRIGGER items_fts_sync AFTER INSERT OR UPDATE OF title, text, summary ON items "
    "FOR EACH ROW EXECUTE FUNCTION items_fts_sync()",
]
PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS items_fts_sync ON items",
    "DROP FUNCTION IF EXISTS items_fts_sync()",
    "DROP TABLE IF EXISTS items_fts",
    "DROP FUNCTION IF EXISTS items_fts_fold(text)",
]


def fts_upgrade_sql(dialect: str) -> list[str]:
    """Statements that create the full-text structures for ``dialect`` (sqlite | postgresql)."""
    return {"sqlite": SQLITE_UPGRADE, "postgresql": PG_UPGRADE}.get(dialect, [])


def fts_downgrade_sql(dialect: str) -> list[str]:
    return {"sqlite": SQLITE_DOWNGRADE, "postgresql": PG_DOWNGRADE}.get(dialect, [])


@contextmanager
def bulk_loading(conn: Connection) -> Iterator[None]:
    """Load many items fast: on SQLite the per-row index triggers are suspended and the new rows
    are indexed in one statement at the end (about twice as fast). Only while nothing else writes
    items. On PostgreSQL the trigger stays (it is cheap there); this is then a no-op."""
    if conn.dialect.name != "sqlite":
        yield
        return
    last = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM items").scalar_one()
    for name in ("items_fts_ai", "items_fts_ad", "items_fts_au"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        with conn.begin():
            conn.exec_driver_sql(
                "INSERT INTO items_fts(rowid, title, body) SELECT id, monitor_fold(title), "
                "monitor_fold(CASE WHEN text <> '' THEN text ELSE summary END) FROM items "
                "WHERE id > ?",
                (last,),
            )
            for statement in SQLITE_UPGRADE[1:]:
                conn.exec_driver_sql(statement)


# --------------------------------------------------------------------------- rebuilding


def rebuild_index(session: Session) -> int:
    """Rebuild the full-text index from ``items`` (after a restore or a change of folding)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DELETE FROM items_fts"))
        session.execute(text("UPDATE items SET title = title"))
    else:
        session.execute(text("INSERT INTO items_fts(items_fts) VALUES ('delete-all')"))
        session.execute(
            text(
                "INSERT INTO items_fts(rowid, title, body) SELECT id, monitor_fold(title), "
                "monitor_fold(CASE WHEN text <> '' THEN text ELSE summary END) FROM items"
            )
        )
    n = session.scalar(text("SELECT count(*) FROM items")) or 0
    log.info("Rebuilt full-text index items=%s", n)
    return n
