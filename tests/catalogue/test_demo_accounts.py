"""Demo accounts: made only in development, never over existing users when `make run` asks."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_demo_accounts", *args, stdout=out)
    return out.getvalue()


@override_settings(DEBUG=False)
def test_refused_when_debug_is_off(django_user_model):
    with pytest.raises(CommandError, match="DEBUG=true"):
        run()
    assert "DEBUG is off" in run("--if-no-users")  # make run with DEBUG=false goes on without them
    assert not django_user_model.objects.exists()


@override_settings(DEBUG=True)
def test_make_runs_call_leaves_an_existing_user_base_alone(django_user_model):
    django_user_model.objects.create_user("owner", password="owner-password-1")
    assert "Accounts exist" in run("--if-no-users")
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["owner"]


@override_settings(DEBUG=True)
def test_running_again_resets_the_passwords(django_user_model):
    first = run()
    second = run()
    assert django_user_model.objects.count() == 2
    staff = django_user_model.objects.get(username="staff")
    old_password, new_password = (re.search(r"^  staff\s+(\S+)", out, re.MULTILINE)[1] for out in (first, second))
    assert old_password != new_password
    assert staff.check_password(new_password)
    assert not staff.check_password(old_password)
    assert staff.groups.get().name == "Shop staff"
