from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class SyncapiConfig(AppConfig):
    name = "syncapi"
    verbose_name = "Sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from syncapi import schema  # noqa: F401  (registers the OpenAPI auth extension)

        # Each installed app's sync.py registers its collections, as admin.py does.
        autodiscover_modules("sync")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="syncapi_install_triggers")


def _after_migrate(using, **kwargs):
    from syncapi.services import sync_state_ensure, triggers_install

    sync_state_ensure(using=using)
    triggers_install(using=using)
