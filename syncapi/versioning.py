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

The same triggers keep each collection's high-water mark (`CollectionMark`):
after every write statement it is at least the highest version the write drew.
"""

from contextlib import contextmanager

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Key of the PostgreSQL advisory lock that serialises writers of synced tables.
PG_LOCK_KEY = 0x53594E43  # "SYNC"
PG_SEQUENCE = "syncapi_version_seq"
# The table of CollectionMark; triggers write it once it exists (migration 0009).
MARK_TABLE = "syncapi_collectionmark"

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
    # After a write statement, under the writers' lock: the sequence's last value is at least
    # every version the statement drew. The collection's name is the trigger's argument.
    f"""
    CREATE OR REPLACE FUNCTION syncapi_mark_collection() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {MARK_TABLE} (collection, version)
        SELECT TG_ARGV[0], last_value FROM {PG_SEQUENCE} WHERE is_called
        ON CONFLICT (collection) DO UPDATE SET version = GREATEST({MARK_TABLE}.version, EXCLUDED.version);
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


def _owner_text(connection, model, owner_field: str | None, row: str) -> str:
    """SQL giving a tombstone's owner: the owner's key as text, '' in a global collection."""
    column = _owner_column(model, owner_field)
    if column is None:
        return "''"
    cast = f'{row}."{column}"::text' if connection.vendor == "postgresql" else f'CAST({row}."{column}" AS TEXT)'
    return f"COALESCE({cast}, '')"


def _owner_column(model, owner_field: str | None) -> str | None:
    """The owner's column, if the collection has an owner and `model` (maybe historical) has it yet."""
    if owner_field is None:
        return None
    try:
        return model._meta.get_field(owner_field).column
    except FieldDoesNotExist:
        return None


def _trigger_sql(connection, name: str, model, owner_field: str | None) -> list[str]:
    """The statements (re)creating the triggers of collection `name` on `model`'s table.

    `model` may be a migration's historical model: the triggers then match the
    table as that migration leaves it.
    """
    meta = model._meta
    table = meta.db_table
    pk = meta.pk
    prefix = f"syncapi_{table}"
    owner_column = _owner_column(model, owner_field)
    marked = MARK_TABLE in connection.introspection.table_names()
    if connection.vendor == "postgresql":
        statements = _pg_trigger_sql(connection, name, model, owner_field, table, pk, prefix, owner_column)
        # Named to fire after the other AFTER statement triggers (alphabetical), which draw versions too.
        if marked:
            mark = (
                f'CREATE OR REPLACE TRIGGER syncapi_watermark AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION syncapi_mark_collection('{name}')"
            )
            return [*statements, mark]
        return [*statements, f'DROP TRIGGER IF EXISTS syncapi_watermark ON "{table}"']
    return _sqlite_trigger_sql(connection, name, model, owner_field, table, pk, prefix, owner_column, marked)


def _pg_trigger_sql(connection, name, model, owner_field, table, pk, prefix, owner_column) -> list[str]:
    owner = lambda row: _owner_text(connection, model, owner_field, row)  # noqa: E731

    def bury(rows: str) -> str:
        """A tombstone, with a new version, for each old row `o` of `rows`, per owner."""
        return f"""INSERT INTO syncapi_tombstone (collection, record_id, owner, version, deleted_at)
            SELECT '{name}', {_pk_text(connection, pk, "o")}, {owner("o")}, nextval('{PG_SEQUENCE}'), now()
            FROM {rows}
            ON CONFLICT (collection, record_id, owner) DO UPDATE
            SET version = EXCLUDED.version, deleted_at = EXCLUDED.deleted_at;"""

    statements = [
        f'CREATE OR REPLACE TRIGGER syncapi_lock BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION syncapi_lock_versions()",
        f'CREATE OR REPLACE TRIGGER syncapi_version BEFORE INSERT OR UPDATE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION syncapi_next_version()",
        f"""
        CREATE OR REPLACE FUNCTION "{prefix}_inserted"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM syncapi_tombstone t USING new_rows n
            WHERE t.collection = '{name}' AND t.record_id = {_pk_text(connection, pk, "n")}
              AND t.owner = {owner("n")};
            RETURN NULL;
        END $$
        """,
        f'CREATE OR REPLACE TRIGGER syncapi_inserted AFTER INSERT ON "{table}" '
        f'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "{prefix}_inserted"()',
        f"""
        CREATE OR REPLACE FUNCTION "{prefix}_deleted"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {bury("old_rows o")}
            RETURN NULL;
        END $$
        """,
        f'CREATE OR REPLACE TRIGGER syncapi_deleted AFTER DELETE ON "{table}" '
        f'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "{prefix}_deleted"()',
    ]
    if owner_column is None:
        return [*statements, f'DROP TRIGGER IF EXISTS syncapi_moved ON "{table}"']
    # A record moved to another owner is deleted for the one it left (a tombstone
    # of theirs) and no longer deleted for the one it reached.
    moved = f'o."{pk.column}" = n."{pk.column}" AND o."{owner_column}" IS DISTINCT FROM n."{owner_column}"'
    return [
        *statements,
        f"""
        CREATE OR REPLACE FUNCTION "{prefix}_moved"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {bury(f"old_rows o JOIN new_rows n ON {moved}")}
            DELETE FROM syncapi_tombstone t USING old_rows o JOIN new_rows n ON {moved}
            WHERE t.collection = '{name}' AND t.record_id = {_pk_text(connection, pk, "n")}
              AND t.owner = {owner("n")};
            RETURN NULL;
        END $$
        """,
        f'CREATE OR REPLACE TRIGGER syncapi_moved AFTER UPDATE ON "{table}" '
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{prefix}_moved"()',
    ]


def _sqlite_trigger_sql(connection, name, model, owner_field, table, pk, prefix, owner_column, marked) -> list[str]:
    owner = lambda row: _owner_text(connection, model, owner_field, row)  # noqa: E731
    current = "(SELECT version FROM syncapi_syncstate WHERE id = 1)"
    bump = (
        "INSERT INTO syncapi_syncstate (id, version, purged_through, epoch) VALUES (1, 1, 0, '') "
        "ON CONFLICT (id) DO UPDATE SET version = version + 1;"
    )
    if marked:  # each row trigger takes one version: the collection's mark follows it
        bump += (
            f"\n            INSERT INTO {MARK_TABLE} (collection, version) VALUES ('{name}', {current}) "
            f"ON CONFLICT (collection) DO UPDATE SET version = MAX(version, excluded.version);"
        )
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    other_columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields if f.column != "version")
    set_version = f'UPDATE "{table}" SET version = {current} WHERE rowid = NEW.rowid;'
    bury = f"""{bump}
            INSERT INTO syncapi_tombstone (collection, record_id, owner, version, deleted_at)
            VALUES ('{name}', {_pk_text(connection, pk, "OLD")}, {owner("OLD")}, {current}, {now})
            ON CONFLICT (collection, record_id, owner) DO UPDATE
            SET version = excluded.version, deleted_at = excluded.deleted_at;"""
    statements = [
        f"DROP TRIGGER IF EXISTS {prefix}_ai",
        f"""CREATE TRIGGER {prefix}_ai AFTER INSERT ON "{table}" BEGIN
            {bump}
            {set_version}
            DELETE FROM syncapi_tombstone
            WHERE collection = '{name}' AND record_id = {_pk_text(connection, pk, "NEW")} AND owner = {owner("NEW")};
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
            {bury}
        END""",
        f"DROP TRIGGER IF EXISTS {prefix}_am",
    ]
    if owner_column is None:
        return statements
    # A record moved to another owner: see _pg_trigger_sql.
    return [
        *statements,
        f"""CREATE TRIGGER {prefix}_am AFTER UPDATE OF "{owner_column}" ON "{table}"
        WHEN OLD."{owner_column}" IS NOT NEW."{owner_column}" BEGIN
            {bury}
            DELETE FROM syncapi_tombstone
            WHERE collection = '{name}' AND record_id = {_pk_text(connection, pk, "NEW")} AND owner = {owner("NEW")};
        END""",
    ]


def install_triggers(connection, collections) -> None:
    """(Re)create the triggers of every registered collection, in one transaction; idempotent.

    One transaction: a write between dropping a trigger and creating it again
    would take no version. Rows written before their table had triggers
    (version 0) get a version.
    """
    with transaction.atomic(using=connection.alias):
        install_base(connection)
        for collection in collections:
            install_table_triggers(connection, collection.name, collection.model, collection.owner_field)


def install_table_triggers(connection, name: str, model, owner_field: str | None) -> None:
    """(Re)create one collection's triggers on `model`'s table, inside the caller's transaction."""
    with connection.cursor() as cursor:
        for statement in _trigger_sql(connection, name, model, owner_field):
            cursor.execute(statement)
        table, pk = model._meta.db_table, model._meta.pk.column
        cursor.execute(f'UPDATE "{table}" SET "{pk}" = "{pk}" WHERE version = 0')


def versions_issued(connection, state) -> int:
    """The highest version this database has handed out (committed or not), given its `SyncState`.

    No cursor it issued can be above it: a cursor that is comes from another
    history of the database (a backup restored after the cursor was issued).
    SQLite counts in the state row the caller has read already; PostgreSQL in
    its sequence.
    """
    if connection.vendor != "postgresql":
        return state.version
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {PG_SEQUENCE}")
        return cursor.fetchone()[0]


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


def marks_fill(connection, collections) -> None:
    """Set each collection's mark to the highest version of its rows and tombstones (0 if none).

    For a database whose rows were versioned before marks existed; from then on the triggers keep
    them. Runs in the caller's transaction, which must keep writers out (a migration's does).
    (`WHERE true`: SQLite reads an INSERT … SELECT's ON CONFLICT only after a WHERE.)
    """
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for collection in collections:
            table = collection.model._meta.db_table
            if table not in existing:
                continue
            cursor.execute(
                f"""INSERT INTO {MARK_TABLE} (collection, version) SELECT %s, COALESCE(MAX(v), 0) FROM (
                        SELECT MAX(version) AS v FROM "{table}"
                        UNION ALL SELECT MAX(version) FROM syncapi_tombstone WHERE collection = %s) AS versions
                    WHERE true ON CONFLICT (collection) DO UPDATE SET version = excluded.version""",
                [collection.name, collection.name],
            )


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


def install_triggers_of_state(apps, schema_editor) -> None:
    """A migration step (RunPython) that reinstalls every registered collection's triggers on the
    tables as the migration's state has them, inside the migration's transaction."""
    from syncapi.registry import registry

    connection = schema_editor.connection
    install_base(connection)
    for collection in registry.collections():
        meta = collection.model._meta
        try:
            model = apps.get_model(meta.app_label, meta.model_name)
        except LookupError:  # that app is not migrated this far: post_migrate installs them
            continue
        if meta.db_table in connection.introspection.table_names():
            install_table_triggers(connection, collection.name, model, collection.owner_field)


def install_marks_of_state(apps, schema_editor) -> None:
    """A migration step (RunPython) after the marks' table is made: the triggers that keep the marks,
    and each collection's mark as the data stands."""
    from syncapi.registry import registry

    install_triggers_of_state(apps, schema_editor)
    marks_fill(schema_editor.connection, registry.collections())


def set_triggers_aside(apps, schema_editor) -> None:
    """A migration step (RunPython) before one that rebuilds syncapi's own tables on SQLite.

    SQLite rebuilds a table by renaming a copy into its place, and refuses while
    triggers name the table being replaced: the synced tables' triggers are
    dropped here and `install_triggers_of_state` puts them back, in the same
    transaction (which holds the write lock, so no write happens in between).
    On PostgreSQL the writers' lock is taken, for the same reason.
    """
    from syncapi.registry import registry

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        lock_versions(connection.alias)
        return
    with connection.cursor() as cursor:
        for collection in registry.collections():
            prefix = f"syncapi_{collection.model._meta.db_table}"
            for suffix in ("ai", "au", "ad", "am"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {prefix}_{suffix}")
