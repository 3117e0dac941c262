"""The database table of the login throttles' cache, so that a plain `migrate` makes it.

Made whatever CACHES says while migrating (a deployment with REDIS_URL leaves it
empty): its name is the DatabaseCache LOCATION of CACHES["throttle"] in
project/settings.py.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "syncapi_throttle_cache"


def create_cache_table(apps, schema_editor):
    # createcachetable leaves an existing table alone.
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ("syncapi", "0002_snapshots"),
    ]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
