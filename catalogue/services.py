"""Writes to the catalogue beyond plain model saves."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalogue.models import Product


@transaction.atomic
def products_set_active(*, products: QuerySet[Product], active: bool) -> int:
    """Activate or deactivate products in one UPDATE (versions bump by trigger)."""
    return products.exclude(is_active=active).update(is_active=active, updated_at=timezone.now())
