"""The account and maintenance commands the README and `make run` print work exactly as printed."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = re.compile(r"`((?:DEBUG=true )?\.venv/bin/python manage\.py [^`]+)`")

pytestmark = pytest.mark.once  # each command runs against a SQLite file of its own


def readme_commands() -> list[str]:
    return COMMAND.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def make_run_commands() -> list[str]:
    """What `make run` tells the user to type (its echo lines, as make would print them)."""
    dry_run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [
        command
        for line in dry_run.splitlines()
        if line.startswith("echo")
        for command in re.findall(r"((?:DEBUG=true )?\.venv/bin/python manage\.py [\w-]+)", line)
    ]


@pytest.fixture
def shell(tmp_path):
    """Runs a command line as a user types it: a fresh shell, this checkout, no settings in the environment
    but where its database and uploads go."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "MEDIA_ROOT": str(tmp_path / "media")}  # fmt: skip

    def run(line: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", line], cwd=ROOT, env=env | extra, capture_output=True, text=True, timeout=300
        )

    migrated = run("DEBUG=true .venv/bin/python manage.py migrate --noinput")
    assert migrated.returncode == 0, migrated.stderr
    return run


def test_the_readme_prints_each_account_command_make_run_prints():
    printed = make_run_commands()
    assert any("createsuperuser" in command for command in printed)
    assert set(printed) <= set(readme_commands())


def test_createsuperuser_as_printed_makes_a_superuser(shell):
    (line,) = [command for command in readme_commands() if "createsuperuser" in command]
    # Typed answers replaced by their flags: the command line itself is the README's.
    done = shell(f"{line} --noinput --username admin --email admin@example.com", DJANGO_SUPERUSER_PASSWORD="x-7Hq!a9")
    assert done.returncode == 0, done.stderr
    assert "Superuser created successfully" in done.stdout


def test_create_demo_accounts_as_printed_prints_passwords_that_sign_in(shell):
    (line,) = [command for command in readme_commands() if "create_demo_accounts" in command]
    done = shell(line)
    assert done.returncode == 0, done.stderr
    passwords = dict(re.findall(r"^  (staff|rep)\s+(\S+)", done.stdout, re.MULTILINE))
    assert set(passwords) == {"staff", "rep"}
    check = (
        "from django.contrib.auth import authenticate as a;"
        f"s = a(username='staff', password={passwords['staff']!r});"
        f"r = a(username='rep', password={passwords['rep']!r});"
        "print(s.is_staff, s.has_perm('catalogue.change_product'), s.is_superuser, r.is_staff)"
    )
    checked = shell(f'DEBUG=true .venv/bin/python manage.py shell --no-imports -c "{check}"')
    assert checked.stdout.split() == ["True", "True", "False", "False"], checked.stderr


@pytest.mark.parametrize("name", ["seed_catalogue", "build_snapshots", "purge_tombstones"])
def test_maintenance_commands_as_printed_start(shell, name):
    """Each starts with the printed environment (its options parsed; `--help` so the demo seed stays small)."""
    (line,) = [command for command in readme_commands() if f"manage.py {name}" in command]
    done = shell(f"{line} --help")
    assert done.returncode == 0, done.stderr
    assert name in done.stdout
