"""A pull reads records and tombstones in one snapshot, on a fresh connection too."""

import threading

import pytest
from django.db import connection, connections

from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.versioning import read_snapshot
from tests.conftest import make_product


def _in_new_thread(fn):
    """Run `fn` in a thread of its own: it gets a new, not yet opened connection."""
    result, errors = [], []

    def target():
        try:
            result.append(fn())
        except Exception as exc:  # re-raised in the caller
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if errors:
        raise errors[0]
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_pull_works_as_the_first_query_of_a_new_connection():
    product = make_product()
    page = _in_new_thread(lambda: changes_since(collection=registry.get("products"), cursor=None, limit=10))
    assert [record["id"] for record in page.upserts] == [str(product.pk)]


@pytest.mark.django_db(transaction=True)
def test_read_snapshot_leaves_the_connection_as_it_found_it():
    def snapshot_then_state():
        with read_snapshot():
            inside = connections["default"].in_atomic_block
        conn = connections["default"]
        return inside, conn.in_atomic_block, getattr(conn, "transaction_mode", None)

    inside, after, mode = _in_new_thread(snapshot_then_state)
    assert inside
    assert not after
    if connection.vendor == "sqlite":
        assert mode == "IMMEDIATE"  # writers keep taking the write lock at BEGIN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_read_snapshot_is_repeatable_read_on_postgresql():
    def isolation():
        with read_snapshot(), connections["default"].cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            return cursor.fetchone()[0]

    assert _in_new_thread(isolation) == "repeatable read"
