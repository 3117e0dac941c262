"""Reads of the catalogue beyond plain querysets."""

import uuid

from catalogue.models import Category


def category_paths() -> dict[uuid.UUID, tuple[str, ...]]:
    """Every category's names from the top of the tree down to it: {id: ("Tools", "Drills")}, in one query."""
    rows = {pk: (name, parent) for pk, name, parent in Category.objects.values_list("pk", "name", "parent_id")}
    paths: dict[uuid.UUID, tuple[str, ...]] = {}

    def path(pk, seen=()) -> tuple[str, ...]:
        if pk not in paths:
            name, parent = rows[pk]
            # A parent missing or a cycle (only a broken database has one) ends the path.
            above = path(parent, (*seen, pk)) if parent in rows and parent not in seen else ()
            paths[pk] = (*above, name)
        return paths[pk]

    for pk in rows:
        path(pk)
    return paths


NOT_SOLD = "This product is no longer sold."
NO_LINES = "An order needs at least one line."
MIXED_CURRENCIES = "The products of one order must have one currency."


def order_submission_problems(order) -> dict:
    """Why `order` cannot be submitted as it stands, as serializer errors ({} if it can).

    Lines whose product is no longer sold are named one by one: {"lines": {line_id: {"product_id": [...]}}}.
    """
    lines = list(order.lines.select_related("product").only("pk", "order", "product__is_active", "product__currency"))
    if not lines:
        return {"lines": [NO_LINES]}
    unsold = {
        str(line.pk): {"product_id": [NOT_SOLD]} for line in lines if line.product is None or not line.product.is_active
    }
    if unsold:
        return {"lines": unsold}
    if len({line.product.currency for line in lines}) > 1:
        return {"lines": [MIXED_CURRENCIES]}
    return {}
