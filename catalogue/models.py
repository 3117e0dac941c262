"""The product catalogue: a category tree, products, per-user favourites, and orders with their lines."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, router, transaction

from catalogue.images import Renditions, renditions_make
from syncapi.models import SyncedModel
from syncapi.versioning import lock_versions

# Stock is what is on hand, shown to sales reps: a backorder is not negative stock.
NEGATIVE_STOCK = "Stock on hand cannot be negative."


class Category(SyncedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(SyncedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="EUR")
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0, message=NEGATIVE_STOCK)])
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    # The upload as sent; devices get its renditions (catalogue.images), made when it is uploaded.
    image = models.ImageField(upload_to="products/", blank=True)
    image_thumbnail = models.CharField(max_length=64, blank=True, editable=False, default="", db_default="")
    image_detail = models.CharField(max_length=64, blank=True, editable=False, default="", db_default="")
    image_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    is_active = models.BooleanField("active", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # Every write path, bulk and raw SQL too, not only the forms and the push serializer.
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="catalogue_product_stock_not_negative")
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def save(self, *args, **kwargs):
        """Save; a newly uploaded picture gets its renditions first, a removed one loses them."""
        if self.image and not self.image._committed:
            self.renditions = renditions_make(self.image.file)
        elif not self.image:
            self.renditions = None
        super().save(*args, **kwargs)

    @property
    def renditions(self) -> Renditions | None:
        if not self.image_detail:
            return None
        return Renditions(self.image_thumbnail, self.image_detail, self.image_width, self.image_height)

    @renditions.setter
    def renditions(self, value: Renditions | None) -> None:
        self.image_thumbnail, self.image_detail = (value.thumbnail, value.detail) if value else ("", "")
        self.image_width, self.image_height = (value.width, value.height) if value else (None, None)


class Favourite(SyncedModel):
    """A product a user marked; client-created, so its id comes from the client."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="catalogue_favourite_unique")]
        indexes = [models.Index(fields=["user", "version"], name="catalogue_favourite_feed")]

    def __str__(self):
        return f"{self.user} ♥ {self.product_id}"


class Order(SyncedModel):
    """An order a user takes, offline or not: client-created (so its id comes from the client).

    The user moves it from `draft` to `submitted` (or `cancelled`); staff decide a submitted
    order (`confirmed` or `rejected`, with a reason). Currency, total and the timestamps are
    the server's.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders")
    customer = models.CharField(max_length=200, blank=True, help_text="The customer's name or reference.")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    currency = models.CharField(max_length=3, default="EUR")
    total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "version"], name="catalogue_order_feed")]

    def __str__(self):
        return f"{self.customer or 'Order'} ({self.get_status_display()}, {str(self.id)[:8]})"

    @classmethod
    def from_db(cls, db, field_names, values):
        order = super().from_db(db, field_names, values)
        order._stored_owner_id = order.__dict__.get("owner_id")
        return order

    def save(self, *args, **kwargs):
        """Save; an order given to another user takes its lines along (they are synced by owner)."""
        super().save(*args, **kwargs)
        if getattr(self, "_stored_owner_id", self.owner_id) != self.owner_id:
            self.lines.exclude(owner_id=self.owner_id).update(owner_id=self.owner_id)
        self._stored_owner_id = self.owner_id


class OrderLine(SyncedModel):
    """A product and a quantity on an order. The unit price and the line total are fixed by the
    server when the order is submitted; `quoted_price` is what the device showed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # A product deleted later leaves the line (its prices were fixed at submission).
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, related_name="order_lines")
    # The order's owner, copied so that lines sync by owner like their order (set on save).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    quoted_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    line_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="catalogue_orderline_quantity")]
        indexes = [models.Index(fields=["owner", "version"], name="catalogue_orderline_feed")]

    def __str__(self):
        return f"{self.quantity} × {self.product or 'a product no longer sold'}"

    def save(self, *args, **kwargs):
        """Save with the owner stored on the order, read under the writers' lock: an order object
        read earlier may be out of date, and a reassignment cannot commit between read and write."""
        using = kwargs.get("using") or router.db_for_write(OrderLine, instance=self)
        with transaction.atomic(using=using, savepoint=False):  # a caller's savepoint rolls it back
            lock_versions(using)
            self.owner_id = Order.objects.using(using).values_list("owner_id", flat=True).get(pk=self.order_id)
            super().save(*args, **kwargs)
