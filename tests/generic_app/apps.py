from django.apps import AppConfig


class NotesConfig(AppConfig):
    """A test-only app with no catalogue in it: proves that syncapi serves any registered model."""

    name = "tests.generic_app"
    label = "generic_app"
    default_auto_field = "django.db.models.BigAutoField"
