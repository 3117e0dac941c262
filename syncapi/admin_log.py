"""Changes that arrive through sync, in the admin's history of each record, with their user and device.

A price changed by staff in the field shows in the product's History beside
the changes made in the admin, so that someone can tell who changed it.
"""

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION

ACTIONS = {"added": ADDITION, "changed": CHANGE, "deleted": DELETION}


def sync_change_log(*, user, instance, action: str, fields: list[str], device: str) -> None:
    """Write one history entry: `action` is "added", "changed" (`fields`) or "deleted"."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry

    via = f"through sync from {device}" if device else "through sync"
    what = f"Changed {', '.join(fields)}" if action == "changed" else action.capitalize()
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[instance],
        action_flag=ACTIONS[action],
        change_message=f"{what} {via}.",
        single_object=True,
    )
