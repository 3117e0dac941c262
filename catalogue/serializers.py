"""Validation of pushed changes to products and favourites (the write side of sync)."""

from rest_framework import serializers

from catalogue.models import NEGATIVE_STOCK, Category, Favourite, Product


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
