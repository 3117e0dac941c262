"""Demo accounts for trying the app locally: a shop staff member and a sales rep.

Their passwords are printed, so they are made only in development (DEBUG on).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.crypto import get_random_string

STAFF_GROUP = "Shop staff"
# What shop staff do in the admin: the catalogue, not the sync protocol's internals.
STAFF_PERMISSIONS = {
    "category": ("view", "add", "change", "delete"),
    "product": ("view", "add", "change", "delete"),
    "favourite": ("view",),
    "order": ("view", "change"),
    "orderline": ("view", "add", "change", "delete"),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


def _staff_group() -> Group:
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    codenames = [f"{action}_{model}" for model, actions in STAFF_PERMISSIONS.items() for action in actions]
    group.permissions.set(Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames))
    return group


@transaction.atomic
def demo_accounts_create() -> list[DemoAccount]:
    """Create (or reset) the demo accounts with new passwords; returns them with their passwords."""
    User = get_user_model()
    accounts = []
    for username, is_staff, role in (
        ("staff", True, "shop staff: edits prices and stock in the app, runs the catalogue in the admin"),
        ("rep", False, "a sales rep: browses, searches and keeps favourites"),
    ):
        password = get_random_string(12)
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff, user.is_superuser, user.is_active = is_staff, False, True
        user.set_password(password)
        user.save()
        if is_staff:
            user.groups.add(_staff_group())
        accounts.append(DemoAccount(username, password, role))
    return accounts
