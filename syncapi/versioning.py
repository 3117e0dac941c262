"""Change versions assigned by database triggers, in commit order.

Every insert or update of a synced table takes the next version and every
delete leaves a tombstone with one, whatever the write path (ORM, bulk, raw
SQL, admin). Writers of synced tables are serialised from their first write to
their commit, so version order equals commit order and a reader never passes a
version that could still appear later:

- PostgreSQL: a statement trigger takes a transaction-scoped advisory lock
  before any row is touched; row triggers then draw from a sequence.
- SQLite: writers are serialised by the database itself (BEGIN IMMEDIATE);
  triggers count in the `syncapi_syncstate` row.
"""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Key of the PostgreSQL advisory lock that serialises writers of synced tables.
PG_LOCK_KEY = 0x53594E43  # "SYNC"
PG_SEQUENCE = "syncapi_version_seq"

_PG_BASE = [
    f"CREATE SEQUENCE IF NOT EXISTS {PG_SEQUENCE}",
    f"""
    CREATE OR REPLACE FUNCTION syncapi_lock_versions() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({PG_LOCK_KEY});
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION syncapi_next_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.version := nextval('{PG_SEQUENCE}');
        RETURN NEW;
    END $$
    """,
]


def install_base(connection) -> None:
    """Create the sequence and shared trigger functions (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _PG_BASE:
            cursor.execute(statement)


def _pk_text(connection, field, row: str) -> str:
    """SQL giving the wire form (text) of a primary key column of `row`."""
    column = f'{row}."{field.column}"'
    if connection.vendor == "postgresql":
        return f"{column}::text"
    if field.get_internal_type() == "UUIDField":
        # Django stores UUIDs on SQLite as 32 hex digits; the wire form has hyphens.
        parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
        return "lower(" + " || '-' || ".join(f"substr({column}, {a}, {n})" for a, n in parts) + ")"
    return f"CAST({column} AS TEXT)"


def _owner_text(connection, collection, row: str) -> str:
    if collection.owner_field is None:
        return "NULL"
    column = collection.model._meta.get_field(collection.owner_field).column
    if connection.vendor == "postgresql":
        return f'{row}."{column}"::text'
    return f'CAST({row}."{column}" AS TEXT)'


def _trigger_sql(connection, collection) -> list[str]:
    meta = collection.model._meta
    table = meta.db_table
    name = collection.name
    pk = meta.pk
    prefix = f"syncapi_{table}"
    if connection.vendor == "postgresql":
        return [
            f'DROP TRIGGER IF EXISTS syncapi_lock ON "{table}"',
            f'CREATE TRIGGER syncapi_lock BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION syncapi_lock_versions()",
            f'DROP TRIGGER IF EXISTS syncapi_version ON "{table}"',
            f'CREATE TRIGGER syncapi_version BEFORE INSERT OR UPDATE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION syncapi_next_version()",
            f"""
            CREATE OR REPLACE FUNCTION "{prefix}_inserted"() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM syncapi_tombstone t USING new_rows n
                WHERE t.collection = '{name}' AND t.record_id = {_pk_text(connection, pk, "n")};
                RETURN NULL;
            END $$
            """,
            f'DROP TRIGGER IF EXISTS syncapi_inserted ON "{table}"',
            f'CREATE TRIGGER syncapi_inserted AFTER INSERT ON "{table}" '
            f'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "{prefix}_inserted"()',
            f"""
            CREATE OR REPLACE FUNCTION "{prefix}_deleted"() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO syncapi_tombstone (collection, record_id, owner, version, deleted_at)
                SELECT '{name}', {_pk_text(connection, pk, "o")}, {_owner_text(connection, collection, "o")},
                       nextval('{PG_SEQUENCE}'), now()
                FROM old_rows o
                ON CONFLICT (collection, record_id) DO UPDATE
                SET version = EXCLUDED.version, owner = EXCLUDED.owner, deleted_at = EXCLUDED.deleted_at;
                RETURN NULL;
            END $$
            """,
            f'DROP TRIGGER IF EXISTS syncapi_deleted ON "{table}"',
            f'CREATE TRIGGER syncapi_deleted AFTER DELETE ON "{table}" '
            f'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "{prefix}_deleted"()',
        ]
    bump = (
        "INSERT INTO syncapi_syncstate (id, version, purged_through, epoch) VALUES (1, 1, 0, '') "
        "ON CONFLICT (id) DO UPDATE SET version = version + 1;"
    )
    current = "(SELECT version FROM syncapi_syncstate WHERE id = 1)"
    other_columns = ", ".join(f'"{f.column}"' for f in meta.concrete_fields if f.column != "version")
    set_version = f'UPDATE "{table}" SET version = {current} WHERE rowid = NEW.rowid;'
    return [
        f"DROP TRIGGER IF EXISTS {prefix}_ai",
        f"""CREATE TRIGGER {prefix}_ai AFTER INSERT ON "{table}" BEGIN
            {bump}
            {set_version}
            DELETE FROM syncapi_tombstone
            WHERE collection = '{name}' AND record_id = {_pk_text(connection, pk, "NEW")};
        END""",
        f"DROP TRIGGER IF EXISTS {prefix}_au",
        # Not fired by the triggers' own `SET version` (it names no other
        # column), so one write takes one version.
        f"""CREATE TRIGGER {prefix}_au AFTER UPDATE OF {other_columns} ON "{table}" BEGIN
            {bump}
            {set_version}
        END""",
        f"DROP TRIGGER IF EXISTS {prefix}_ad",
        f"""CREATE TRIGGER {prefix}_ad AFTER DELETE ON "{table}" BEGIN
            {bump}
            INSERT INTO syncapi_tombstone (collection, record_id, owner, version, deleted_at)
            VALUES ('{name}', {_pk_text(connection, pk, "OLD")}, {_owner_text(connection, collection, "OLD")},
                    {current}, strftime('%Y-%m-%d %H:%M:%f', 'now'))
            ON CONFLICT (collection, record_id) DO UPDATE
            SET version = excluded.version, owner = excluded.owner, deleted_at = excluded.deleted_at;
        END""",
    ]


def install_triggers(connection, collections) -> None:
    """(Re)create the triggers of every registered collection; idempotent.

    Rows written before their table had triggers (version 0) get a version.
    """
    install_base(connection)
    with connection.cursor() as cursor:
        for collection in collections:
            for statement in _trigger_sql(connection, collection):
                cursor.execute(statement)
            table, pk = collection.model._meta.db_table, collection.model._meta.pk.column
            cursor.execute(f'UPDATE "{table}" SET "{pk}" = "{pk}" WHERE version = 0')


def highest_version(connection, collections) -> int:
    """The highest version among the registered tables' rows and the tombstones, as the caller's
    transaction sees them (0 if none). Inside a read snapshot every version up to it is committed
    or was rolled back: versions are drawn in commit order."""
    existing = set(connection.introspection.table_names())
    tables = [c.model._meta.db_table for c in collections if c.model._meta.db_table in existing]
    tables += ["syncapi_tombstone"] if "syncapi_tombstone" in existing else []
    if not tables:
        return 0
    highest = " UNION ALL ".join(f'SELECT MAX(version) AS v FROM "{table}"' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(v), 0) FROM ({highest}) AS versions")
        return cursor.fetchone()[0]


def advance_counter(connection, collections) -> None:
    """Move the version counter past every version the registered tables hold.

    A counter behind a row's version would give a later write a version some
    cursor has already passed. It can fall behind when the state row is
    deleted with the data (`flush`), which restarts SQLite's count.
    """
    install_base(connection)  # the sequence, on a database migrated for the first time
    top = highest_version(connection, collections)
    if not top:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT setval('{PG_SEQUENCE}', %s) FROM {PG_SEQUENCE} WHERE last_value < %s", [top, top])
        else:
            cursor.execute("UPDATE syncapi_syncstate SET version = MAX(version, %s) WHERE id = 1", [top])


def lock_versions(using: str = DEFAULT_DB_ALIAS) -> None:
    """Take the writers' lock now, at the start of a writing transaction.

    Triggers take it anyway; taking it first avoids a deadlock with row locks
    taken earlier in the same transaction.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS):
    """Run several reads against one consistent snapshot of the database.

    A pull reads records and tombstones in two queries; without one snapshot a
    commit between them could make the page skip changes.

    Yields True if the snapshot is a transaction of its own, which sees only
    committed rows; False inside a caller's transaction (reused), whose own
    writes may still roll back.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        # Already in a transaction (a test, or a caller's own): reuse it.
        yield False
        return
    if connection.vendor == "sqlite":
        # A reader must not take SQLite's write lock (settings use IMMEDIATE).
        connection.ensure_connection()  # transaction_mode is read from settings on connect
        mode = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic(using=using):
                connection.transaction_mode = mode
                yield True
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield True
