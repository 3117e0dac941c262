"""No write to a synced table goes without a version while migrations run: not after a SQLite table
rebuild, not while triggers are reinstalled, not before `post_migrate`."""

import os
import subprocess
import sys
import threading
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.db import connection, migrations
from django.db.migrations.executor import MigrationExecutor

from syncapi.models import Tombstone
from syncapi.services import triggers_install
from tests.conftest import make_product
from tests.syncapi.test_versioning import max_version

pytestmark = pytest.mark.django_db(transaction=True)


def _params() -> dict:
    """psycopg connection parameters of the run's (test) database."""
    return {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}


def _migration(name: str, dependencies: list, operations: list) -> migrations.Migration:
    migration = migrations.Migration(name, "catalogue")
    migration.dependencies = dependencies
    migration.operations = operations
    return migration


def test_writes_of_a_data_migration_after_a_table_rebuild_take_versions_and_leave_tombstones(category):
    """On SQLite, altering a column rebuilds the table and drops its triggers; the data migration
    that follows in the same run writes before `post_migrate` reinstalls them."""
    kept, gone = make_product(category), make_product(category)
    executor = MigrationExecutor(connection)
    [leaf] = executor.loader.graph.leaf_nodes("catalogue")
    state = executor.loader.project_state(leaf)
    original = state.models["catalogue", "product"].fields["name"]
    wider = original.clone()
    wider.max_length = original.max_length + 1
    before = max_version()

    def data_step(apps, schema_editor):
        historical = apps.get_model("catalogue", "Product")
        historical.objects.filter(pk=kept.pk).update(price=Decimal("99.00"))
        historical.objects.filter(pk=gone.pk).delete()

    forward = _migration(
        "9998_rebuild_then_write",
        [leaf],
        [migrations.AlterField("product", "name", wider), migrations.RunPython(data_step, migrations.RunPython.noop)],
    )
    back = _migration(
        "9999_rebuild_back", [("catalogue", forward.name)], [migrations.AlterField("product", "name", original)]
    )
    try:
        state = executor.apply_migration(state, forward)
        kept.refresh_from_db()
        assert kept.price == Decimal("99.00")
        assert kept.version > before
        tombstone = Tombstone.objects.get(collection="products", record_id=str(gone.pk))
        assert tombstone.version > before
    finally:
        executor.apply_migration(state, back)
        executor.recorder.record_unapplied("catalogue", back.name)
        executor.recorder.record_unapplied("catalogue", forward.name)

    after_rebuild = max_version()
    kept.name = "Written once the table is back"
    kept.save()
    kept.refresh_from_db()
    assert kept.version > after_rebuild


@pytest.mark.postgres
def test_a_write_while_triggers_are_reinstalled_waits_and_takes_a_version(category):
    """PostgreSQL: another connection updates a product between the DROP and the CREATE of its
    version trigger (as `migrate` reinstalls them, while the server runs)."""
    product = make_product(category)
    product.refresh_from_db()
    before = product.version
    assert before > 0
    dsn = _params()
    done = threading.Event()
    errors = []

    def concurrent_update():
        try:
            with psycopg.connect(**dsn, autocommit=True) as other:
                other.execute("UPDATE catalogue_product SET price = 77 WHERE id = %s", [product.pk])
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    def waiting_or_done() -> bool:
        if done.is_set():
            return True
        with psycopg.connect(**dsn, autocommit=True) as probe:
            row = probe.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE catalogue_product%%'"
            ).fetchone()
        return row[0] > 0

    started = []

    def between_statements(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not started and "syncapi_version" in sql and "catalogue_product" in sql:
            started.append(True)
            threading.Thread(target=concurrent_update, daemon=True).start()
            for _ in range(2000):  # until the UPDATE has run, or waits for the reinstall's lock
                if waiting_or_done():
                    break
                threading.Event().wait(0.005)
            else:
                raise AssertionError("the concurrent UPDATE neither ran nor waited")
        return result

    with connection.execute_wrapper(between_statements):
        triggers_install()
    assert done.wait(30), "the concurrent UPDATE never finished"
    assert not errors, errors

    product.refresh_from_db()
    assert product.price == Decimal("77.00")
    assert product.version > before


def test_migrating_another_app_first_on_a_new_database_does_not_fail(new_database_url):
    """`manage.py migrate contenttypes` on an empty database: `post_migrate` is sent to syncapi
    before its own tables exist. Then the full `migrate` installs the triggers."""
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    env = {**os.environ, "DATABASE_URL": new_database_url, "DEBUG": "true"}

    first = subprocess.run([*manage, "migrate", "contenttypes"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    full = subprocess.run([*manage, "migrate"], env=env, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    check = subprocess.run(
        [*manage, "shell", "-c", "from catalogue.models import Category as C; c = C.objects.create(name='x');"
         " c.refresh_from_db(); print(c.version)"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    assert int(check.stdout.split()[-1]) > 0
