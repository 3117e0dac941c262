"""Storage of the sync protocol: versions, tombstones, clients, tokens, config."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from syncapi.devices import device_display_name


class SyncedModel(models.Model):
    """Base for models served by syncapi: adds the change `version`.

    The version is assigned by database triggers (see `syncapi.versioning`)
    on every insert and update, whatever the write path, so application code
    never sets it.
    """

    version = models.BigIntegerField(default=0, editable=False, db_index=True)

    class Meta:
        abstract = True


class SyncState(models.Model):
    """Singleton row: the SQLite version counter and the tombstone horizon."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    # Last version handed out on SQLite (PostgreSQL uses a sequence).
    version = models.BigIntegerField(default=0)
    # Highest tombstone version purged: cursors below it must `reset`.
    purged_through = models.BigIntegerField(default=0)
    # Changes when the database is created anew: cursors of another epoch reset.
    epoch = models.CharField(max_length=32, default="")

    def __str__(self):
        return f"version {self.version}, purged through {self.purged_through}"


class CollectionMark(models.Model):
    """A collection's high-water mark: at least the highest version of its records and tombstones.

    Written by the same triggers that assign versions, in the writing transaction, so every write
    path moves it and a reader sees it move with the rows. A delta pull whose cursor is at or past
    it has nothing to bring and is answered from this row alone. No row: not known, read the rows.
    """

    collection = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"{self.collection} @ {self.version}"


class Tombstone(models.Model):
    """A record deleted for its readers, kept for the retention period so they see the delete.

    In a user-scoped collection a record is deleted for one owner: when it is
    deleted, or when it moves to another owner (it leaves the first one's view).
    """

    collection = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64)
    # The owner's key in a user-scoped collection ('' in a global one).
    owner = models.CharField(max_length=64, blank=True, default="")
    version = models.BigIntegerField()
    deleted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "record_id", "owner"], name="syncapi_tombstone_owner_unique")
        ]
        indexes = [models.Index(fields=["collection", "version"], name="syncapi_tombstone_feed")]

    def __str__(self):
        return f"{self.collection}/{self.record_id} @ {self.version}"


class RecordAlias(models.Model):
    """A client's record id that an upsert saved as another record (`record_id`).

    The write serializer merged the new record into an existing one (the same
    product favourited on two devices). The client's queued mutations still
    name its own id: they act on `record_id` instead (see `syncapi.push`).
    Kept for the tombstone retention period, like the deletes devices pull.
    """

    collection = models.CharField(max_length=64)
    alias_id = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64)
    # Only the user whose upsert made the alias may use it.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "alias_id"], name="syncapi_recordalias_unique")]
        indexes = [models.Index(fields=["created_at"], name="syncapi_recordalias_age")]
        verbose_name_plural = "record aliases"

    def __str__(self):
        return f"{self.collection}/{self.alias_id} -> {self.record_id}"


class SyncClient(models.Model):
    """One installation of the app for one user: the last mutation it sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_clients")
    client_id = models.UUIDField()
    last_mutation_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client_id"], name="syncapi_client_unique")]

    def __str__(self):
        return f"{self.user} / {self.client_id}"


USER_AGENT_MAX_LENGTH = 500


class DeviceToken(models.Model):
    """A bearer token for one device; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="device_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    # What the client called itself at login (the app sends its user agent).
    device_name = models.CharField(max_length=200, blank=True)
    # The User-Agent header at login, kept for support.
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.user} ({self.label})"

    @property
    def label(self) -> str:
        """A human name of the device, "Chrome on Android" (see `syncapi.devices`)."""
        return device_display_name(device_name=self.device_name, user_agent=self.user_agent)


class SyncConfiguration(models.Model):
    """The sync configuration delivered to clients; one row, edited in the admin."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    schema_version = models.PositiveIntegerField(
        default=1, help_text="Raise it to make every client discard its replica and sync from scratch."
    )
    sync_on_online = models.BooleanField(default=True)
    sync_on_login = models.BooleanField(default=True)
    sync_on_resume = models.BooleanField(default=True)
    retry_on_error = models.BooleanField(default=True)
    retry_interval_seconds = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    periodic_sync_minutes = models.PositiveIntegerField(
        null=True, blank=True, default=720, validators=[MinValueValidator(1)], help_text="Empty: no periodic sync."
    )
    page_size = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1), MaxValueValidator(5000)])
    foreground_refresh_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=30,
        validators=[MinValueValidator(5)],
        help_text="While an app is open, visible and online, it checks for changes this often. Empty: it does not.",
    )

    class OfflineImages(models.TextChoices):
        NONE = "none", "None: pictures need the network"
        VIEWED = "viewed", "Viewed: the pictures a user has seen"
        FAVOURITES = "favourites", "Favourites: those seen, and the user's favourites' (fetched ahead)"
        ALL = "all", "All: every list picture, fetched ahead within the budget, on a connection that allows it"

    offline_images = models.CharField(
        max_length=10,
        choices=OfflineImages.choices,
        default=OfflineImages.VIEWED,
        help_text="Which product pictures devices keep for use offline.",
    )
    offline_images_mb = models.PositiveIntegerField(
        "offline pictures budget (MB)",
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
        help_text="What a device may store for pictures; the least recently used go first beyond it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sync configuration"
        verbose_name_plural = "sync configuration"

    def __str__(self):
        return "Sync configuration"

    @classmethod
    def load(cls) -> "SyncConfiguration":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Snapshot(models.Model):
    """A first download of a global collection, stored as immutable files (see `syncapi.snapshots`).

    It holds every visible record at `version` (V). It is offered while its
    identity (epoch, schema version, fingerprint) is the database's and no
    tombstone purge has passed V; a newer one retires it.
    """

    collection = models.CharField(max_length=64)
    epoch = models.CharField(max_length=32)
    schema_version = models.PositiveIntegerField()
    # sha256 of the part format and of the SQL that reads the records (see syncapi.snapshots.identity).
    fingerprint = models.CharField(max_length=64)
    version = models.BigIntegerField(help_text="Every change up to this version is in the snapshot.")
    # SyncState.purged_through when it was read: the horizon of the cursor it hands out.
    horizon = models.BigIntegerField()
    records = models.PositiveIntegerField()
    # [{"sha256", "records", "bytes", "encoded": {coding: bytes}}], in order.
    parts = models.JSONField()
    created_at = models.DateTimeField()
    build_seconds = models.FloatField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["collection", "retired_at"], name="syncapi_snapshot_offered")]

    def __str__(self):
        return f"{self.collection} @ {self.version}"


class SnapshotLock(models.Model):
    """A lease held by the one process building snapshots, on any server (see syncapi.snapshots.lease)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"held by {self.holder} until {self.expires_at}" if self.holder else "free"
