"""Registers the test app's models, discovered like any app's sync.py."""

from django.db.models import Q

from syncapi.registry import register, register_unit
from tests.generic_app.models import Bulletin, Note
from tests.generic_app.serializers import BulletinWriteSerializer, NoteWriteSerializer

register(
    "notes",
    Note,
    fields={"text": "text", "pinned": "pinned"},
    scope="user",
    owner_field="author",
    writable="owner",
    conflict_policy="client_wins",
    write_serializer=NoteWriteSerializer,
)
register(
    "bulletins",
    Bulletin,
    fields={"title": "title", "body": "body"},
    visible=Q(published=True),
    writable="staff",
    conflict_policy="server_wins",
    write_serializer=BulletinWriteSerializer,
)
register_unit("board", ["bulletins"])
