from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from syncapi.models import DeviceToken, RecordAlias, SyncClient, SyncConfiguration, Tombstone
from syncapi.tokens import token_revoke

# A device is seen when it signs in and, after that, each time it uses its token.
_LAST_SEEN = Coalesce("last_used_at", "created_at")


@admin.register(SyncConfiguration)
class SyncConfigurationAdmin(admin.ModelAdmin):
    """A singleton: the list page opens the one row."""

    fieldsets = [
        ("Automatic sync starts", {"fields": ["sync_on_online", "sync_on_login", "sync_on_resume"]}),
        (
            "Retries and refreshes",
            {
                "fields": [
                    "retry_on_error",
                    "retry_interval_seconds",
                    "periodic_sync_minutes",
                    "foreground_refresh_seconds",
                ]
            },
        ),
        ("Data", {"fields": ["page_size", "schema_version"]}),
        ("Offline pictures", {"fields": ["offline_images", "offline_images_mb"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        SyncConfiguration.load()
        return redirect(reverse("admin:syncapi_syncconfiguration_change", args=[1]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    """Signed-in devices by human name ("Chrome on Android") and when each was last seen; the raw
    user agent stays in the detail (and the name's tooltip) for support."""

    list_display = ["user", "device", "last_seen", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "device_name", "user_agent"]
    fields = ["user", "device", "device_name", "user_agent", "last_seen", "created_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    list_select_related = ["user"]
    ordering = [_LAST_SEEN.desc()]
    actions = ["revoke"]

    @admin.display(description="device")
    def device(self, token):
        return format_html('<span title="{}">{}</span>', token.user_agent or token.device_name, token.label)

    @admin.display(description="last seen", ordering=_LAST_SEEN)
    def last_seen(self, token):
        """When the device last used its token (to within minutes; see `token_get_active`), or signed in."""
        seen = token.last_used_at or token.created_at
        exact = formats.localize(timezone.localtime(seen))
        return format_html('<time datetime="{}" title="{}">{}</time>', seen.isoformat(), exact, naturaltime(seen))

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        tokens = list(queryset)
        for token in tokens:
            token_revoke(token=token)
        self.message_user(request, f"Revoked {len(tokens)} token(s).")


class ProtocolInternalsAdmin(admin.ModelAdmin):
    """The protocol's own bookkeeping: shown to superusers only, never to shop staff."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False


@admin.register(SyncClient)
class SyncClientAdmin(ProtocolInternalsAdmin):
    list_display = ["user", "client_id", "last_mutation_id", "last_seen_at"]
    search_fields = ["user__username", "client_id"]
    readonly_fields = ["user", "client_id", "last_mutation_id", "created_at", "last_seen_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Tombstone)
class TombstoneAdmin(ProtocolInternalsAdmin):
    list_display = ["collection", "record_id", "version", "deleted_at"]
    list_filter = ["collection"]
    readonly_fields = ["collection", "record_id", "owner", "version", "deleted_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RecordAlias)
class RecordAliasAdmin(ProtocolInternalsAdmin):
    """Read-only: which client ids the server saved as another record (see syncapi.push)."""

    list_display = ["collection", "alias_id", "record_id", "owner", "created_at"]
    list_filter = ["collection"]
    search_fields = ["alias_id", "record_id", "owner__username"]
    readonly_fields = ["collection", "alias_id", "record_id", "owner", "created_at"]

    def has_add_permission(self, request):
        return False
