"""Order lines carry their order's owner, so that they sync by owner like their order."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_order_owner(apps, schema_editor):
    OrderLine = apps.get_model("catalogue", "OrderLine")
    Order = apps.get_model("catalogue", "Order")
    db = schema_editor.connection.alias
    owner = Order.objects.using(db).filter(pk=models.OuterRef("order_id")).values("owner_id")[:1]
    OrderLine.objects.using(db).update(owner_id=models.Subquery(owner))


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0004_orders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="owner",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(copy_order_owner, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderline",
            name="owner",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(fields=["owner", "version"], name="catalogue_orderline_feed"),
        ),
    ]
