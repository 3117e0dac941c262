"""Shared fixtures: API clients, users, tokens and a small catalogue."""

import contextlib
import os
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.db import connection
from rest_framework.test import APIClient

from catalogue.models import Category, Product
from syncapi.snapshots import auto
from syncapi.snapshots.build import snapshots_refresh
from syncapi.snapshots.files import snapshot_storage
from syncapi.tokens import token_create


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are marked; on another database they say why they did not run."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    reason = "needs PostgreSQL: `make test` runs it with DATABASE_URL=TEST_POSTGRES_URL"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttling state and snapshot files must not leak between tests: tests
    # recreate the database in one process, which a server never does.
    cache.clear()
    yield
    assert auto.wait(timeout=120), "a background snapshot build outlived its test"
    cache.clear()
    storage = snapshot_storage()
    if isinstance(storage, FileSystemStorage):
        shutil.rmtree(storage.location, ignore_errors=True)


@pytest.fixture(autouse=True, scope="session")
def _media_removed():
    """This process's uploads and renditions go when the session ends (project/settings_test.py)."""
    yield
    from django.conf import settings

    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def build_snapshots(*, force: bool = False) -> list:
    """Build the due snapshots now, as `manage.py build_snapshots` does (and `make run`)."""
    built = snapshots_refresh(force=force)
    assert built is not None, "another builder holds the lease"
    return built


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-password-1")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-password-1")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("stella", password="stella-password-1", is_staff=True)


def client_for(user) -> APIClient:
    """An API client holding a fresh device token of `user`."""
    raw, _ = token_create(user=user, device_name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def user_api(user):
    return client_for(user)


@pytest.fixture
def other_api(other_user):
    return client_for(other_user)


@pytest.fixture
def staff_api(staff):
    return client_for(staff)


@pytest.fixture
def category(db):
    return Category.objects.create(name="Tools", position=1)


def make_product(category=None, **fields) -> Product:
    n = uuid.uuid4().hex[:8]
    defaults = {"sku": f"SKU-{n}", "name": f"Product {n}", "price": Decimal("12.50"), "stock": 3, "category": category}
    return Product.objects.create(**{**defaults, **fields})


@pytest.fixture
def product(category):
    return make_product(category)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


def database_url() -> str:
    """The DATABASE_URL of this run's test database, for server processes the tests start on it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def new_database(directory: Path):
    """The URL of a new, empty database of the run's kind (dropped afterwards on PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{directory / f'new-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    name = f"syncapi_new_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{params.get('user', 'postgres')}@{params['host']}:{params.get('port', 5432)}/{name}"
    finally:
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_database_url(tmp_path):
    with new_database(tmp_path) as url:
        yield url
