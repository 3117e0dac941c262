"""Request validation for push and login, and response shapes for the OpenAPI schema.

The pull path does not use serializers (see `syncapi.serialization`); its
response serializers here only describe it in the schema.
"""

from rest_framework import serializers

MAX_INT64 = 2**63 - 1
MAX_NAME_LENGTH = 64  # a mutation's collection, record_id and group


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be a JSON number: no "17", no true, no 17.5."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string that must be a JSON string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID that must be a JSON string (DRF also turns integers into UUIDs)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class MutationSerializer(serializers.Serializer):
    id = StrictIntegerField(min_value=1, max_value=MAX_INT64)
    # Not trimmed: " products" is an unknown collection, answered per mutation, not a broken body.
    collection = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, trim_whitespace=False)
    op = serializers.ChoiceField(choices=["upsert", "delete"])
    record_id = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, trim_whitespace=False)
    base_version = StrictIntegerField(min_value=0, max_value=MAX_INT64, allow_null=True, required=False, default=None)
    data = serializers.DictField(required=False, default=dict)
    base = serializers.DictField(required=False, allow_null=True, default=None)
    group = StrictCharField(
        min_length=1, max_length=MAX_NAME_LENGTH, required=False, allow_null=True, default=None, trim_whitespace=False,
        help_text="Mutations of one request sharing a group are applied all or none, in order; a group's "
        "mutations are consecutive. An extension: docs/protocol-notes.md.",
    )  # fmt: skip


class PushRequestSerializer(serializers.Serializer):
    client_id = StrictUUIDField()
    mutations = MutationSerializer(many=True, allow_empty=True)

    def validate_mutations(self, mutations: list[dict]) -> list[dict]:
        """A group's mutations come one after another: a group split by others could not be all or none."""
        closed, current = set(), None
        for mutation in mutations:
            group = mutation.get("group")
            if group != current:
                closed.add(current)
                if group is not None and group in closed:
                    raise serializers.ValidationError(f"The mutations of group {group!r} are not consecutive.")
                current = group
        return mutations


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(min_length=1, max_length=150)
    password = StrictCharField(min_length=1, max_length=1024, trim_whitespace=False)
    device_name = StrictCharField(max_length=200, required=False, default="", allow_blank=True)


# --- Response shapes, for the schema only -------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


class RecordSerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.IntegerField()


class PullResponseSerializer(serializers.Serializer):
    collection = serializers.CharField()
    upserts = RecordSerializer(many=True)
    deletes = serializers.ListField(child=serializers.CharField())
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()
    reset = serializers.BooleanField()


class SnapshotPartSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Where to GET the part (immutable; any Accept-Encoding).")
    sha256 = serializers.CharField(help_text="Of the part's uncompressed bytes.")
    records = serializers.IntegerField()
    bytes = serializers.IntegerField(help_text="Uncompressed size.")
    encoded = serializers.DictField(child=serializers.IntegerField(), help_text="Stored size per content coding.")


class SnapshotSerializer(serializers.Serializer):
    collection = serializers.CharField()
    format = serializers.CharField()
    version = serializers.IntegerField()
    records = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    cursor = serializers.CharField(help_text="Pull from here once every part is applied.")
    parts = SnapshotPartSerializer(many=True)


class SnapshotsSerializer(serializers.Serializer):
    snapshots = serializers.DictField(child=SnapshotSerializer(), help_text="By collection; none if none offered.")


class MutationResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["applied", "conflict", "rejected", "duplicate"])
    record = RecordSerializer(required=False, allow_null=True)
    record_id = serializers.CharField(
        required=False,
        help_text="The server's id of the record acted on, when the mutation named a merged id (an alias).",
    )
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    code = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)
    errors = serializers.DictField(required=False)


class PushResponseSerializer(serializers.Serializer):
    last_mutation_id = serializers.IntegerField()
    results = MutationResultSerializer(many=True)


class KeepsImagesSerializer(serializers.Serializer):
    field = serializers.CharField()
    collection = serializers.CharField()


class CollectionInfoSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["global", "user"])
    writable = serializers.ChoiceField(choices=["none", "staff", "owner"])
    conflict_policy = serializers.CharField(allow_null=True)
    snapshot = serializers.BooleanField(help_text="A client without a cursor may start from a snapshot.")
    order = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The list order: these fields as lower-cased text, then the id. A snapshot's records come in it.",
    )
    image_fields = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="An extension: fields holding picture URLs a client may keep offline; the first is fetched ahead "
        "when offline_images is `all`.",
    )
    keeps_images_of = KeepsImagesSerializer(
        required=False,
        help_text="An extension: each record keeps the pictures of the record `field` names in `collection`, fetched "
        "ahead when offline_images is `favourites`.",
    )


class ConfigSerializer(serializers.Serializer):
    protocol = serializers.IntegerField()
    schema_version = serializers.IntegerField()
    sync_on_online = serializers.BooleanField()
    sync_on_login = serializers.BooleanField()
    sync_on_resume = serializers.BooleanField()
    retry_on_error = serializers.BooleanField()
    retry_interval_seconds = serializers.IntegerField()
    periodic_sync_minutes = serializers.IntegerField(allow_null=True)
    page_size = serializers.IntegerField()
    foreground_refresh_seconds = serializers.IntegerField(
        allow_null=True, help_text="An extension: how often an open, visible app asks `changed/`; null: never."
    )
    offline_images = serializers.ChoiceField(
        choices=["none", "viewed", "favourites", "all"],
        help_text="An extension: which pictures a client keeps offline (docs/protocol-notes.md).",
    )
    offline_images_mb = serializers.IntegerField(help_text="An extension: the client's budget for pictures, in MB.")
    units = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    collections = serializers.DictField(child=CollectionInfoSerializer())


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = UserSerializer()


class ChangedRequestSerializer(serializers.Serializer):
    cursors = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),  # a blank one: `invalid_cursor`
        help_text="collection -> its cursor (none: nothing has changed)",
    )


class ChangedResponseSerializer(serializers.Serializer):
    changed = serializers.ListField(
        child=serializers.CharField(), help_text="The collections a pull from the given cursor would bring anything of."
    )
