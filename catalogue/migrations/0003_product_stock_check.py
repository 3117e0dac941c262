"""Stock on hand is never negative, whatever writes it: rows that were are set to 0 first (each
takes a new version, so devices get the corrected stock)."""

from django.db import migrations, models


def negative_stock_to_zero(apps, schema_editor):
    Product = apps.get_model("catalogue", "Product")
    Product.objects.using(schema_editor.connection.alias).filter(stock__lt=0).update(stock=0)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_product_stock_not_negative"),
    ]

    operations = [
        migrations.RunPython(negative_stock_to_zero, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="catalogue_product_stock_not_negative"
            ),
        ),
    ]
