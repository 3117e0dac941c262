"""A database restored from a backup, or cloned, hands out versions again: devices must download anew.

The backup and the restore are real: SQLite's online backup of the database file, and
pg_dump / pg_restore on PostgreSQL. The device pulls over HTTP, outside a wrapping transaction.
"""

import sqlite3
import subprocess
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from syncapi.models import SyncState
from tests.conftest import make_product
from tests.syncapi.test_pull import pull_all, upserted

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup(tmp_path):
    """`backup.take()` copies the database; `backup.restore()` puts that copy back in its place."""

    class Backup:
        path = tmp_path / ("backup.sqlite3" if connection.vendor == "sqlite" else "backup.dump")

        def take(self):
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                with sqlite3.connect(self.path) as target:
                    connection.connection.backup(target)
            else:
                self._pg("pg_dump", "-Fc", "-f", str(self.path))

        def restore(self):
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                with sqlite3.connect(self.path) as source:
                    source.backup(connection.connection)
            else:
                connection.close()
                self._pg("pg_restore", "--clean", "--if-exists", "--single-transaction", str(self.path))

        def _pg(self, program, *args):
            params = connection.settings_dict
            command = [program, "-h", params["HOST"], "-p", str(params["PORT"] or 5432), "-U", params["USER"]]
            subprocess.run([*command, "-d", params["NAME"], *args], check=True, capture_output=True)

    return Backup()


def prices(pages: list[dict]) -> dict[str, str]:
    return {record["id"]: record["price"] for record in upserted(pages)}


def test_a_device_that_synced_after_the_backup_downloads_anew_after_the_restore(api, category, backup):
    product = make_product(category, price=Decimal("10.00"))
    backup.take()
    product.price = Decimal("20.00")
    product.save()
    _, cursor = pull_all(api, "products")  # the device holds the price 20, from after the backup

    backup.restore()  # the price is 10 again, and the versions after the backup will be handed out again
    pages, _ = pull_all(api, "products", cursor=cursor)

    assert pages[0]["reset"] is True
    assert prices(pages) == {str(product.pk): "10.00"}


def test_after_the_restore_every_device_of_the_old_history_resets(api, category, backup):
    """One device ahead of the restored database starts a new epoch for all: another device, whose
    cursor is not ahead of the database, would otherwise skip versions handed out again."""
    product = make_product(category, price=Decimal("10.00"))
    backup.take()
    product.price = Decimal("20.00")
    product.save()
    _, behind = pull_all(api, "products")
    for price in ("21.00", "22.00", "23.00"):
        product.price = Decimal(price)
        product.save()
    _, ahead = pull_all(api, "products")

    backup.restore()
    other = make_product(category, price=Decimal("5.00"))  # takes a version the old history also had
    ahead_pages, _ = pull_all(api, "products", cursor=ahead)
    behind_pages, _ = pull_all(api, "products", cursor=behind)

    assert ahead_pages[0]["reset"] is True
    assert behind_pages[0]["reset"] is True
    assert prices(behind_pages) == {str(product.pk): "10.00", str(other.pk): "5.00"}


def test_sync_new_epoch_makes_every_device_download_anew(api, category):
    """The operator's step after a restore or on a clone (docs/operations.md)."""
    product = make_product(category)
    _, cursor = pull_all(api, "products")
    epoch = SyncState.objects.get().epoch
    out = StringIO()

    call_command("sync_new_epoch", stdout=out)

    assert SyncState.objects.get().epoch != epoch
    assert "every device downloads anew" in out.getvalue()
    pages, _ = pull_all(api, "products", cursor=cursor)
    assert pages[0]["reset"] is True
    assert [record["id"] for record in upserted(pages)] == [str(product.pk)]


def test_a_cursor_of_the_databases_own_history_starts_no_new_epoch(api, category):
    make_product(category)
    _, cursor = pull_all(api, "products")
    epoch = SyncState.objects.get().epoch

    pages, _ = pull_all(api, "products", cursor=cursor)

    assert pages[0]["reset"] is False
    assert SyncState.objects.get().epoch == epoch
