"""Writes to the catalogue beyond plain model saves."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalogue.images import image_storage, renditions_unused
from catalogue.models import Order, OrderLine, Product
from syncapi.versioning import lock_versions


@transaction.atomic
def products_set_active(*, products: QuerySet[Product], active: bool) -> int:
    """Activate or deactivate products in one UPDATE (versions bump by trigger)."""
    return products.exclude(is_active=active).update(is_active=active, updated_at=timezone.now())


ROUNDINGS = {"cent": Decimal("0.01"), "whole": Decimal("1")}


def price_changed(price: Decimal, *, percent: Decimal | None = None, amount: Decimal | None = None,
                  rounding: str = "cent") -> Decimal:  # fmt: skip
    """`price` raised (or lowered) by `percent` or by `amount`, rounded to the cent, the unit or a .99 ending."""
    new = price * (1 + percent / 100) if percent is not None else price + amount
    if rounding == "99":
        whole = new.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        return max(whole - Decimal("0.01"), Decimal("0.00"))
    return new.quantize(ROUNDINGS[rounding], rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


@transaction.atomic
def products_change_prices(*, products: QuerySet[Product], percent: Decimal | None = None,
                           amount: Decimal | None = None, rounding: str = "cent") -> int:  # fmt: skip
    """Change the prices of `products` by `percent` or `amount`; all or none (a price below 0 refuses all).

    The writers' lock comes first, before any product row is locked: a push holding it may need a
    share lock on one of these rows at its commit (the foreign key of a new favourite).
    """
    lock_versions()
    changed = []
    for product in products.select_related(None).select_for_update().only("pk", "price", "name"):
        new = price_changed(product.price, percent=percent, amount=amount, rounding=rounding)
        if new < 0:
            raise ValidationError(f"{product.name} would cost less than nothing ({new}).")
        if new != product.price:
            product.price, product.updated_at = new, timezone.now()
            changed.append(product)
    Product.objects.bulk_update(changed, ["price", "updated_at"], batch_size=1000)
    return len(changed)


def products_write_rows(*, products: list[Product], fields: list[str], using: str = DEFAULT_DB_ALIAS) -> int:
    """Store `fields` of each of `products` as they are in memory: one plain UPDATE per row, sent at once.

    For many rows of several columns: `bulk_update` builds one CASE per column
    with a branch per row, several times slower (docs/decisions/0007-product-import.md).
    Versions bump by trigger, as for any write.
    """
    if not products:
        return 0
    connection = connections[using]
    meta = Product._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [*(f.get_db_prep_save(getattr(p, f.attname), connection) for f in columns),
         meta.pk.get_db_prep_value(p.pk, connection)]
        for p in products
    ]  # fmt: skip
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(products)


def order_submit(*, order: Order) -> Order:
    """Submit a draft at today's prices: each line's unit price and total, the order's total,
    currency and `submitted_at` are fixed now (the quoted prices stay, so a device can show a change).

    Stock is neither checked nor reserved: staff see it when they decide (docs/orders.md).
    The caller checked `order_submission_problems` and holds the writers' lock.
    """
    lines = list(order.lines.select_related("product"))
    for line in lines:
        line.unit_price = line.product.price
        line.line_total = line.unit_price * line.quantity
    OrderLine.objects.bulk_update(lines, ["unit_price", "line_total"])
    order.status = Order.Status.SUBMITTED
    order.currency = lines[0].product.currency
    order.total = sum((line.line_total for line in lines), Decimal("0.00"))
    order.submitted_at = timezone.now()
    order.save()
    return order


class OrderNotDecidable(ValidationError):
    """Only a submitted order is confirmed or rejected."""


@transaction.atomic
def orders_decide(*, orders: QuerySet[Order], confirm: bool, reason: str = "") -> int:
    """Confirm or reject (with `reason`) submitted orders, all or none: a staff decision that
    reaches the owner's devices with their next sync. Returns how many were decided."""
    lock_versions()
    orders = list(orders.select_for_update())
    undecidable = [order for order in orders if order.status != Order.Status.SUBMITTED]
    if undecidable:
        raise OrderNotDecidable(
            f"{undecidable[0]} is {undecidable[0].get_status_display().lower()}: only submitted orders are decided."
        )
    status = Order.Status.CONFIRMED if confirm else Order.Status.REJECTED
    return Order.objects.filter(pk__in=[order.pk for order in orders]).update(
        status=status, decided_at=timezone.now(), decision_reason="" if confirm else reason.strip()
    )


def product_images_purge(*, older_than: timedelta) -> int:
    """Delete the pictures' renditions that no product shows, written more than `older_than` ago.

    Renditions are never overwritten or deleted when a picture is replaced (their
    URLs are immutable), so this is what keeps the storage from growing for ever.
    """
    used = {name for names in Product.objects.exclude(image_detail="").values_list("image_thumbnail", "image_detail")
            for name in names}  # fmt: skip
    unused = renditions_unused(used=used, older_than=timezone.now() - older_than)
    storage = image_storage()
    for name in unused:
        storage.delete(name)
    return len(unused)
