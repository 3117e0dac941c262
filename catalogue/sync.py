"""Registers the catalogue's models with syncapi (discovered like admin.py)."""

from django.conf import settings
from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Concat

from catalogue.models import Category, Favourite, Order, OrderLine, Product
from catalogue.serializers import (
    FavouriteWriteSerializer,
    OrderLineWriteSerializer,
    OrderWriteSerializer,
    ProductWriteSerializer,
)
from syncapi.registry import register, register_unit


def _image_url(column: str) -> Case:
    """A rendition's URL (catalogue.images), null for a product without a picture."""
    return Case(
        When(**{column: ""}, then=Value(None)),
        default=Concat(Value(settings.PRODUCT_IMAGES_URL), column),
        output_field=CharField(),
    )


def _columns(*names: str) -> dict[str, str]:
    """Wire fields named as their columns."""
    return {name: name for name in names}


register(
    "categories",
    Category,
    fields={"name": "name", "parent_id": "parent_id", "position": "position"},
)
register(
    "products",
    Product,
    fields={
        "sku": "sku",
        "name": "name",
        "description": "description",
        "price": "price",
        "currency": "currency",
        "stock": "stock",
        "category_id": "category_id",
        "image_url": _image_url("image_detail"),
        "thumbnail_url": _image_url("image_thumbnail"),
        "image_width": "image_width",
        "image_height": "image_height",
        "updated_at": "updated_at",
    },
    visible=Q(is_active=True),
    order=("name", "sku"),  # the app's list order
    image_fields=("thumbnail_url", "image_url"),  # the list's picture first (docs/images.md)
    writable="staff",
    conflict_policy="merge",
    write_serializer=ProductWriteSerializer,
    bulk_updates=True,  # its serializer never takes the picture, the one field Product.save() handles
)
register(
    "favourites",
    Favourite,
    fields={"product_id": "product_id", "created_at": "created_at"},
    scope="user",
    owner_field="user",
    writable="owner",
    conflict_policy="client_wins",
    write_serializer=FavouriteWriteSerializer,
    keeps_images_of=("product_id", "products"),
)
# A user's orders (docs/orders.md). A stale device never overwrites a submission or a staff
# decision (server_wins); lines carry their order's owner, so they leave a user's view with it.
register(
    "orders",
    Order,
    fields=_columns(
        "status", "customer", "note", "currency", "total", "created_at", "submitted_at", "decided_at", "decision_reason"
    ),  # fmt: skip
    scope="user",
    owner_field="owner",
    writable="owner",
    conflict_policy="server_wins",
    write_serializer=OrderWriteSerializer,
)
register(
    "order_lines",
    OrderLine,
    fields=_columns("order_id", "product_id", "quantity", "quoted_price", "unit_price", "line_total"),
    scope="user",
    owner_field="owner",
    writable="owner",
    conflict_policy="client_wins",
    write_serializer=OrderLineWriteSerializer,
)
register_unit("catalogue", ["categories", "products"])
register_unit("favourites", ["favourites"])
register_unit("orders", ["orders", "order_lines"])
