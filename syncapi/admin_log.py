"""Changes that arrive through sync, in the admin's history of each record, with their user and device.

A price changed by staff in the field shows in the product's History beside
the changes made in the admin, so that someone can tell who changed it.
"""

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION

ACTIONS = {"added": ADDITION, "changed": CHANGE, "deleted": DELETION}


class SyncChangeLog:
    """The history entries of one push, written together at its end (one INSERT, not one per mutation).

    `record` notes what the mutation being applied did; `keep` keeps those
    notes once its savepoint committed, `drop` forgets them when it was
    rolled back; `write` stores what was kept.
    """

    def __init__(self, *, user, device: str):
        self.user, self.via = user, f"through sync from {device}" if device else "through sync"
        self.enabled = apps.is_installed("django.contrib.admin")
        self.kept, self.pending = [], []

    def record(self, instance, action: str, fields: list[str] | None = None) -> None:
        """Note that `instance` was "added", "changed" (its `fields`) or is about to be "deleted"."""
        if not self.enabled:
            return
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        what = f"Changed {', '.join(fields or [])}" if action == "changed" else action.capitalize()
        self.pending.append(
            LogEntry(
                user_id=self.user.pk,
                content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
                object_id=str(instance.pk),
                object_repr=str(instance)[:200],
                action_flag=ACTIONS[action],
                change_message=f"{what} {self.via}.",
            )
        )

    def keep(self) -> None:
        self.kept += self.pending
        self.pending = []

    def drop(self) -> None:
        self.pending = []

    def mark(self) -> int:
        """Where the kept notes end now (a group's start)."""
        return len(self.kept)

    def forget_since(self, mark: int) -> None:
        """Forget the notes kept since `mark` (a group rolled back as a whole)."""
        del self.kept[mark:]
        self.pending = []

    def write(self) -> None:
        if self.kept:
            from django.contrib.admin.models import LogEntry

            LogEntry.objects.bulk_create(self.kept)
        self.kept = []
