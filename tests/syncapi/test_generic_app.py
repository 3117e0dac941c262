"""syncapi serves any model with one registration: a server without the catalogue or the PWA.

The test-only app `tests.generic_app` registers, from its own sync.py, a user-scoped collection
with a `client_wins` policy (notes, UUID keys) and a global one with `server_wins` (bulletins,
integer keys, a visibility filter). A real gunicorn process serves it on a new database of the
run's kind (`tests/generic_app/settings.py`: no `catalogue`, no `frontend` installed); the tests
pull, push and conflict over HTTP only.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings

from bench.common import gunicorn
from tests.conftest import new_database

USERS = {"ann": False, "ben": False, "sue": True}  # username: is staff


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of the generic server, and a device token per user."""
    with new_database(tmp_path_factory.mktemp("generic")) as url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.generic_app.settings", "DATABASE_URL": url}
        _manage(env, "migrate", "--noinput", "-v0")
        create = "; ".join(
            f"U.objects.create_user({name!r}, password='pw-{name}-1', is_staff={staff})"
            for name, staff in USERS.items()
        )
        _manage(env, "shell", "-c", f"from django.contrib.auth.models import User as U; {create}")
        with gunicorn(env, workers=1, threads=2) as base:
            tokens = {name: _login(base, name) for name in USERS}
            yield base, tokens, env


def _login(base: str, name: str) -> str:
    status, answer = _call(base, "POST", "/api/auth/login/", {"username": name, "password": f"pw-{name}-1"})
    assert status == 200, answer
    return answer["token"]


def _call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Device:
    """One installation of a client for `user`: its own client id, mutation ids and cursors."""

    def __init__(self, server, user: str | None):
        self.base, tokens, _ = server
        self.token = tokens[user] if user else None
        self.client_id = str(uuid.uuid4())
        self.mutation_id = 0
        self.cursors: dict[str, str] = {}

    def pull(self, collection: str) -> tuple[list[dict], list[str], bool]:
        """Every change since this device's cursor: (upserts, deletes, reset)."""
        upserts, deletes, reset = [], [], False
        while True:
            query = f"?cursor={urllib.parse.quote(self.cursors[collection])}" if collection in self.cursors else ""
            status, page = _call(self.base, "GET", f"/api/sync/pull/{collection}/{query}", token=self.token)
            assert status == 200, page
            upserts += page["upserts"]
            deletes += page["deletes"]
            reset = reset or page["reset"]
            self.cursors[collection] = page["cursor"]
            if not page["has_more"]:
                return upserts, deletes, reset

    def push(self, collection: str, op: str, record_id: str, data: dict | None = None, base_version=None) -> dict:
        self.mutation_id += 1
        mutation = {"id": self.mutation_id, "collection": collection, "op": op, "record_id": record_id,
                    "base_version": base_version, **({"data": data} if data is not None else {})}  # fmt: skip
        status, answer = _call(self.base, "POST", "/api/sync/push/",
                               {"client_id": self.client_id, "mutations": [mutation]}, self.token)  # fmt: skip
        assert status == 200, answer
        [result] = answer["results"]
        return result


def test_the_configuration_lists_only_the_apps_collections(server):
    status, config = _call(server[0], "GET", "/api/sync/config/")

    assert status == 200
    assert set(config["collections"]) == {"notes", "bulletins"}
    assert config["collections"]["notes"]["scope"] == "user"
    assert config["collections"]["bulletins"]["conflict_policy"] == "server_wins"
    assert config["units"] == {"all": ["notes", "bulletins"], "board": ["bulletins"]}


def test_notes_of_a_user_reach_their_other_devices_and_no_one_else(server):
    phone, laptop, other = Device(server, "ann"), Device(server, "ann"), Device(server, "ben")
    laptop.pull("notes")
    other.pull("notes")
    note = str(uuid.uuid4())

    created = phone.push("notes", "upsert", note, {"text": "call the supplier"})
    edited = phone.push("notes", "upsert", note, {"pinned": True}, base_version=created["record"]["version"])

    assert (created["status"], edited["status"]) == ("applied", "applied")
    upserts, _, _ = laptop.pull("notes")
    assert [(r["id"], r["text"], r["pinned"]) for r in upserts] == [(note, "call the supplier", True)]
    assert other.pull("notes") == ([], [], False)
    assert other.push("notes", "upsert", note, {"text": "mine now"})["code"] == "forbidden"


def test_a_stale_note_edit_wins_and_a_delete_reaches_the_other_device(server):
    phone, laptop = Device(server, "ann"), Device(server, "ann")
    note = str(uuid.uuid4())
    first = phone.push("notes", "upsert", note, {"text": "v1"})
    laptop.pull("notes")
    phone.push("notes", "upsert", note, {"text": "v2"}, base_version=first["record"]["version"])

    stale = laptop.push("notes", "upsert", note, {"text": "v3"}, base_version=first["record"]["version"])
    assert (stale["status"], stale["record"]["text"]) == ("applied", "v3")  # client_wins
    assert phone.push("notes", "delete", note, base_version=None)["status"] == "applied"

    upserts, deletes, _ = laptop.pull("notes")
    assert deletes == [note]
    assert note not in {r["id"] for r in upserts}


def test_bulletins_are_written_by_staff_seen_by_all_and_conflict_on_a_stale_edit(server):
    staff, reader, anonymous = Device(server, "sue"), Device(server, "ann"), Device(server, None)
    reader.pull("bulletins")
    anonymous.pull("bulletins")

    created = staff.push("bulletins", "upsert", "7001", {"title": "Closed on Friday", "body": ""})
    assert created["status"] == "applied"
    version = created["record"]["version"]
    assert (
        staff.push("bulletins", "upsert", "7001", {"title": "Closed Friday"}, base_version=version)["status"]
        == "applied"
    )
    stale = staff.push("bulletins", "upsert", "7001", {"title": "Open Friday"}, base_version=version)

    assert (stale["status"], stale["record"]["title"]) == ("conflict", "Closed Friday")  # server_wins
    assert reader.push("bulletins", "upsert", "7002", {"title": "Mine"})["code"] == "forbidden"
    for device in (reader, anonymous):
        upserts, _, _ = device.pull("bulletins")
        assert [(r["id"], r["title"]) for r in upserts] == [("7001", "Closed Friday")]


def test_a_bulletin_hidden_by_its_visibility_filter_is_a_delete_for_readers(server):
    staff, reader = Device(server, "sue"), Device(server, "ben")
    staff.push("bulletins", "upsert", "7101", {"title": "Sale"})
    reader.pull("bulletins")

    hide = "from tests.generic_app.models import Bulletin as B; B.objects.filter(pk=7101).update(published=False)"
    _manage(server[2], "shell", "-c", hide)

    upserts, deletes, _ = reader.pull("bulletins")
    assert "7101" in deletes
    assert "7101" not in {r["id"] for r in upserts}
    fresh = Device(server, "ben")
    assert "7101" not in {r["id"] for r in fresh.pull("bulletins")[0]}


def test_a_global_collection_of_the_app_gets_a_snapshot(server):
    Device(server, "sue").push("bulletins", "upsert", "7201", {"title": "Stocktake"})
    _manage(server[2], "build_snapshots")

    status, manifest = _call(server[0], "GET", "/api/sync/snapshot/bulletins/")
    assert status == 200
    assert manifest["records"] >= 1
    status, missing = _call(server[0], "GET", "/api/sync/snapshot/notes/")
    assert (status, missing["code"]) == (404, "no_snapshot")
