"""Two models unlike the catalogue's: a user's notes, and bulletins every reader sees."""

import uuid

from django.conf import settings
from django.db import models

from syncapi.models import SyncedModel


class Note(SyncedModel):
    """A user's own record, created on devices (client ids), last writer wins."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    pinned = models.BooleanField(default=False)


class Bulletin(SyncedModel):
    """A record every reader sees and staff write, with an integer key; the server wins conflicts."""

    title = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    published = models.BooleanField(default=True)
