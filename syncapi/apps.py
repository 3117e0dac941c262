from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class SyncapiConfig(AppConfig):
    name = "syncapi"
    verbose_name = "Sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import syncapi.receivers  # noqa: F401  (revokes device tokens on a password change or deactivation)
        from syncapi import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from syncapi.schema_editor import use_versioned_schema_editor

        # Each installed app's sync.py registers its collections, as admin.py does.
        autodiscover_modules("sync")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="syncapi_install_triggers")
        # SQLite migrations that rebuild a synced table put its triggers back in their own transaction.
        connection_created.connect(use_versioned_schema_editor, dispatch_uid="syncapi_schema_editor")


def _after_migrate(using, **kwargs):
    from django.db import connections

    from syncapi.services import sync_state_ensure, triggers_install

    if "syncapi_syncstate" not in connections[using].introspection.table_names():
        return  # `migrate <another app>` on a new database: syncapi's own migrations have not run yet
    sync_state_ensure(using=using)
    triggers_install(using=using)
