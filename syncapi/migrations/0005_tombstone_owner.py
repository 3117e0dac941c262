"""Tombstones per owner: a record that moves to another user is deleted for the one it left."""

from django.db import migrations, models

from syncapi.versioning import install_triggers_of_state, set_triggers_aside


def owners_not_null(apps, schema_editor):
    apps.get_model("syncapi", "Tombstone").objects.using(schema_editor.connection.alias).filter(
        owner__isnull=True
    ).update(owner="")


class Migration(migrations.Migration):
    dependencies = [
        ("syncapi", "0004_recordalias"),
    ]

    operations = [
        migrations.RunPython(set_triggers_aside, migrations.RunPython.noop),
        migrations.RunPython(owners_not_null, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tombstone",
            name="owner",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RemoveConstraint(
            model_name="tombstone",
            name="syncapi_tombstone_unique",
        ),
        migrations.AddConstraint(
            model_name="tombstone",
            constraint=models.UniqueConstraint(
                fields=("collection", "record_id", "owner"), name="syncapi_tombstone_owner_unique"
            ),
        ),
        # The triggers name the constraint's columns (ON CONFLICT): they change with it, in this transaction.
        migrations.RunPython(install_triggers_of_state, migrations.RunPython.noop),
    ]
