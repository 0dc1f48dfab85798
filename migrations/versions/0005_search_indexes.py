"""search and deadline indexes for the console at 100,000 issues

Full-text search stays substring search over `issues.search_text` (Chinese has no spaces):
- SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34), external content on
  `issues`, kept in sync by triggers. Queries of 3+ characters use it; shorter ones keep LIKE.
- PostgreSQL: a pg_trgm GIN index, which serves `search_text LIKE '%word%'` directly.
Either one is skipped with a warning when the database cannot provide it (no FTS5/trigram, no
permission for CREATE EXTENSION): search then stays a LIKE scan, slower but correct.

Plus composite indexes for 已超期/临期 (status + due date), channel + date, and department +
district (the district drop-down of department staff).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

FTS_TABLE = "issues_fts"
TRGM_INDEX = "ix_issues_search_text_trgm"
_INDEXES = {
    "ix_issues_status_handle_due": ["status", "handle_due"],
    "ix_issues_status_accept_due": ["status", "accept_due"],
    "ix_issues_channel_created": ["channel", "created_at"],
    "ix_issues_department_district": ["department", "district"],
}


def _sqlite_fts(conn: sa.Connection) -> None:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
                "search_text, content='issues', content_rowid='id', tokenize='trigram')"
            )
    except sa.exc.OperationalError as exc:
        logger.warning("SQLite without FTS5 trigram (%s): console search stays LIKE", exc)
        return
    conn.exec_driver_sql(
        f"CREATE TRIGGER issues_fts_ai AFTER INSERT ON issues BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER issues_fts_ad AFTER DELETE ON issues BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER issues_fts_au AFTER UPDATE OF search_text ON issues BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def _pg_trgm(conn: sa.Connection) -> None:
    try:
        with conn.begin_nested():
            # In public, not in the schema first on the search path: the extension is shared by
            # the whole database and must outlive a private (test/bench) schema.
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError as exc:
        logger.warning("pg_trgm not available (%s): console search stays a LIKE scan", exc)
    schema = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar()
    if schema is None:
        return
    quoted = conn.dialect.identifier_preparer.quote(schema)
    # fastupdate off: a new issue goes straight into the index. With the default, inserts pile
    # up in a pending list until (auto)vacuum, and every search scans that list (100 ms after
    # a bulk load instead of 20 ms); intake files a few issues a minute, so writes can pay.
    conn.exec_driver_sql(
        f"CREATE INDEX {TRGM_INDEX} ON issues USING gin (search_text {quoted}.gin_trgm_ops) "
        "WITH (fastupdate = off)"
    )


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "issues", columns)
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _sqlite_fts(conn)
    elif conn.dialect.name == "postgresql":
        _pg_trgm(conn)
    # Statistics for the new indexes, or the planners guess (SQLite then sorts 30,000 open
    # issues by due date instead of walking ix_issues_handle_due).
    op.execute("ANALYZE issues")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for trigger in ("issues_fts_au", "issues_fts_ad", "issues_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif conn.dialect.name == "postgresql":
        # The extension stays: other schemas of the database may use it.
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    for name in reversed(_INDEXES):
        op.drop_index(name, table_name="issues")
