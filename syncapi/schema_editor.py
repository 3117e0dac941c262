"""Version triggers kept on SQLite tables that a migration rebuilds.

SQLite cannot alter most columns in place: Django's schema editor copies the
table into a new one and drops the old one, whose triggers go with it, and a
column added in place is missing from the update trigger's column list. Until
the triggers are back, a write takes no version and a delete leaves no
tombstone. A migration runs in one transaction, so they are put back inside it,
right after the change, from the migration's own (historical) model.
"""

from functools import cache

from syncapi.registry import registry
from syncapi.versioning import install_table_triggers

_SYNC_TABLES = {"syncapi_syncstate", "syncapi_tombstone"}


def use_versioned_schema_editor(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite connections edit schemas with `versioned`."""
    if connection.vendor == "sqlite":
        connection.SchemaEditorClass = versioned(type(connection).SchemaEditorClass)


@cache
def versioned(base: type) -> type:
    """A subclass of SQLite's schema editor `base` that reinstalls the triggers of a synced table it changes."""

    class VersionedSchemaEditor(base):
        def create_model(self, model):
            super().create_model(model)
            self._reinstall(model)

        def add_field(self, model, field):
            super().add_field(model, field)
            self._reinstall(model)

        def alter_field(self, model, old_field, new_field, strict=False):
            super().alter_field(model, old_field, new_field, strict)
            self._reinstall(model)

        def _remake_table(self, model, *args, **kwargs):
            super()._remake_table(model, *args, **kwargs)
            self._reinstall(model)

        def _reinstall(self, model):
            if self.collect_sql:  # sqlmigrate: print, do not run
                return
            table = model._meta.db_table
            collection = next((c for c in registry.collections() if c.model._meta.db_table == table), None)
            if collection is None or not any(f.column == "version" for f in model._meta.concrete_fields):
                return
            if not _SYNC_TABLES <= set(self.connection.introspection.table_names()):
                return  # syncapi is not migrated yet: post_migrate installs them
            install_table_triggers(self.connection, collection.name, model, collection.owner_field)

    VersionedSchemaEditor.__name__ = VersionedSchemaEditor.__qualname__ = f"Versioned{base.__name__}"
    return VersionedSchemaEditor
