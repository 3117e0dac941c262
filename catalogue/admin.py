from django.contrib import admin

from catalogue.models import Category, Favourite, Product
from catalogue.services import products_set_active


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["version"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price", "currency", "stock", "is_active", "updated_at"]
    list_editable = ["price", "stock"]
    list_filter = ["is_active", "currency", ("category", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["category"]
    readonly_fields = ["version", "updated_at"]
    list_select_related = ["category"]
    list_per_page = 50
    show_full_result_count = False  # counting 100k rows on every page is wasted work
    actions = ["activate", "deactivate"]

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        count = products_set_active(products=queryset, active=True)
        self.message_user(request, f"Activated {count} product(s).")

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        count = products_set_active(products=queryset, active=False)
        self.message_user(request, f"Deactivated {count} product(s).")


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ["user", "product", "created_at"]
    search_fields = ["user__username", "product__sku", "product__name"]
    autocomplete_fields = ["product"]
    raw_id_fields = ["user"]
    readonly_fields = ["version", "created_at"]
