"""Validation of pushed changes to products, favourites and orders (the write side of sync).

A change the user may not make raises DRF's PermissionDenied: the push answers it `forbidden`.
"""

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from catalogue.models import NEGATIVE_STOCK, Category, Favourite, Order, OrderLine, Product
from catalogue.selectors import NOT_SOLD, order_submission_problems
from catalogue.services import order_submit


class ProductWriteSerializer(serializers.ModelSerializer):
    category_id = serializers.PrimaryKeyRelatedField(
        source="category", queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "stock", "category_id"]
        # DRF turns the model's MinValueValidator into min_value but drops its message.
        extra_kwargs = {"stock": {"min_value": 0, "error_messages": {"min_value": NEGATIVE_STOCK}}}


class FavouriteWriteSerializer(serializers.ModelSerializer):
    product_id = serializers.PrimaryKeyRelatedField(source="product", queryset=Product.objects.filter(is_active=True))

    class Meta:
        model = Favourite
        fields = ["product_id"]

    def create(self, validated_data):
        # The same product favourited on two devices offline: keep one record,
        # the one the server already has (the client adopts its id).
        existing = Favourite.objects.filter(user=validated_data["user"], product=validated_data["product"]).first()
        return existing or super().create(validated_data)


Status = Order.Status
# The status changes a user makes; every other one is staff's (confirmed, rejected) or none.
USER_TRANSITIONS = {Status.DRAFT: {Status.DRAFT, Status.SUBMITTED, Status.CANCELLED}}
ONLY_DRAFTS = "Only a draft order is changed on a device: this one is {status}."
CREATED_AS_DRAFT = "An order is created as a draft, then submitted."
NOT_YOURS_TO_SET = "Only staff confirm or reject an order."


class OrderWriteSerializer(serializers.ModelSerializer):
    """A user's draft and its submission; the prices, totals and timestamps are the server's."""

    class Meta:
        model = Order
        fields = ["status", "customer", "note"]

    def validate(self, attrs):
        order = self.instance
        status = attrs.get("status", order.status if order else Status.DRAFT)
        if order is None:
            if status != Status.DRAFT:
                raise PermissionDenied(CREATED_AS_DRAFT)
            return attrs
        changed = {name for name, value in attrs.items() if getattr(order, name) != value}
        if not changed:
            return attrs
        if status not in USER_TRANSITIONS.get(order.status, ()):
            detail = ONLY_DRAFTS if order.status != Status.DRAFT else NOT_YOURS_TO_SET
            raise PermissionDenied(detail.format(status=order.get_status_display().lower()))
        if status == Status.SUBMITTED:
            problems = order_submission_problems(order)
            if problems:
                raise serializers.ValidationError(problems)
        return attrs

    def update(self, order, validated_data):
        submitting = order.status == Status.DRAFT and validated_data.get("status") == Status.SUBMITTED
        if submitting:
            validated_data.pop("status")
        order = super().update(order, validated_data)
        return order_submit(order=order) if submitting else order

    def validate_delete(self, order):
        """A device discards a draft (or clears a cancelled order) by deleting it; its lines go with it."""
        if order.status not in (Status.DRAFT, Status.CANCELLED):
            raise PermissionDenied(ONLY_DRAFTS.format(status=order.get_status_display().lower()))


class _OwnOrderField(serializers.PrimaryKeyRelatedField):
    """An order of the pushing user (another user's is as unknown as one that does not exist)."""

    def get_queryset(self):
        return Order.objects.filter(owner=self.context["user"])


LINES_READ_ONLY = "The lines of a {status} order cannot be changed."
LINE_STAYS = "A line stays on the order it was added to."


class OrderLineWriteSerializer(serializers.ModelSerializer):
    """A line of a draft: product, quantity and the price the device showed."""

    order_id = _OwnOrderField(source="order")
    product_id = serializers.PrimaryKeyRelatedField(
        source="product", queryset=Product.objects.filter(is_active=True), error_messages={"does_not_exist": NOT_SOLD}
    )
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)

    class Meta:
        model = OrderLine
        fields = ["order_id", "product_id", "quantity", "quoted_price"]

    def validate(self, attrs):
        line = self.instance
        order = attrs.get("order", line.order if line else None)
        if line is not None and order.pk != line.order_id:
            raise PermissionDenied(LINE_STAYS)
        if order is not None and order.status != Status.DRAFT:
            raise PermissionDenied(LINES_READ_ONLY.format(status=order.get_status_display().lower()))
        return attrs

    def validate_delete(self, line):
        if line.order.status != Status.DRAFT:
            raise PermissionDenied(LINES_READ_ONLY.format(status=line.order.get_status_display().lower()))
