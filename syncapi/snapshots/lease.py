"""One snapshot builder at a time, across processes and servers: a lease in the database.

A row holds who builds and until when. Taking it is one UPDATE that matches
only a free or expired lease, so of two processes racing one wins, on
PostgreSQL and SQLite alike; a builder that dies frees it by expiring.
"""

import uuid
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from syncapi.models import SnapshotLock

# Renewed after every part, so it only expires if its builder stopped.
LEASE = timedelta(minutes=10)


class Lease:
    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        self.holder = uuid.uuid4().hex

    def take(self) -> bool:
        """True if this process now holds the lease."""
        try:
            with transaction.atomic(using=self.using):
                SnapshotLock.objects.using(self.using).get_or_create(pk=1)
        except IntegrityError:
            pass  # created by another process meanwhile
        now = timezone.now()
        free = Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(holder=self.holder)
        taken = SnapshotLock.objects.using(self.using).filter(free, pk=1)
        return taken.update(holder=self.holder, expires_at=now + LEASE) == 1

    def renew(self) -> bool:
        """Extend the lease; False if it was lost (expired and taken by another)."""
        mine = SnapshotLock.objects.using(self.using).filter(pk=1, holder=self.holder)
        return mine.update(expires_at=timezone.now() + LEASE) == 1

    def release(self) -> None:
        SnapshotLock.objects.using(self.using).filter(pk=1, holder=self.holder).update(holder="", expires_at=None)
