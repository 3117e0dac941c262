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
