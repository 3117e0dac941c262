from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX

from catalogue.images import image_check
from catalogue.models import Category, Favourite, Order, OrderLine, Product
from catalogue.resources import ProductResource, first_problem
from catalogue.services import orders_decide, products_change_prices, products_set_active


def _action_form(model_admin, request, **context) -> TemplateResponse:
    """An action's intermediate form (admin/catalogue/action_form.html): title, intro, form, selected,
    action and submit."""
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **context}
    return TemplateResponse(request, "admin/catalogue/action_form.html", context)


class PriceChangeForm(forms.Form):
    how = forms.ChoiceField(choices=[("percent", "by a percentage"), ("amount", "by an amount")], label="Change")
    value = forms.DecimalField(
        max_digits=10, decimal_places=2, help_text="Negative lowers: -10 is 10% (or 10.00) less."
    )
    rounding = forms.ChoiceField(
        choices=[("cent", "to the cent"), ("whole", "to a whole amount"), ("99", "to .99 (19.99)")], label="Round"
    )


class CategoryTreeFilter(admin.SimpleListFilter):
    """Categories as the tree they are (each under its parent); one includes the ones below it."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        children = {}
        for category in Category.objects.order_by("position", "name"):
            children.setdefault(category.parent_id, []).append(category)
        tree = []

        def walk(parent, depth):
            for category in children.get(parent, []):
                tree.append((str(category.pk), "\u2003" * depth + category.name))
                walk(category.pk, depth + 1)

        walk(None, 0)
        return tree

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        ids, frontier = set(), {self.value()}
        while frontier:  # the category and every one below it
            ids |= frontier
            frontier = {str(pk) for pk in Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)}
            frontier -= ids
        return queryset.filter(category_id__in=ids)


class StockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("in", "In stock"), ("out", "Out of stock")]

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(stock__gt=0)
        if self.value() == "out":
            return queryset.filter(Q(stock__lte=0))
        return queryset


class HasImageFilter(admin.SimpleListFilter):
    title = "picture"
    parameter_name = "picture"

    def lookups(self, request, model_admin):
        return [("yes", "Has a picture"), ("no", "No picture")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(image_detail="")
        if self.value() == "no":
            return queryset.filter(image_detail="")
        return queryset


class PictureField(forms.ImageField):
    """An upload checked by its content (catalogue.images) before Pillow decodes it, and named by its
    real format, never by the name it came with."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})

    def to_python(self, data):
        if isinstance(data, UploadedFile):
            extension = image_check(data)
            data.name = f"{data.name.rsplit('.', 1)[0][:80]}.{extension}"
        return super().to_python(data)


class ProductAdminForm(forms.ModelForm):
    image = PictureField(required=False)

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "stock", "category", "image", "is_active"]


def _rendition_url(name: str) -> str:
    return settings.PRODUCT_IMAGES_URL + name


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["version"]


@admin.register(Product)
class ProductAdmin(ImportExportMixin, admin.ModelAdmin):
    # No currency column: the filter says which there are, and 80 px more would not fit 1280 px.
    form = ProductAdminForm
    list_display = ["thumbnail", "sku", "short_name", "category", "price", "stock", "is_active", "updated"]
    list_display_links = ["sku", "short_name"]
    list_editable = ["price", "stock"]
    list_filter = ["is_active", StockFilter, HasImageFilter, "currency", CategoryTreeFilter]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["category"]
    readonly_fields = ["picture", "version", "updated_at"]
    list_select_related = ["category"]
    list_per_page = 50
    show_full_result_count = False  # counting 100k rows on every page is wasted work
    actions = ["activate", "deactivate", "change_prices"]
    # Import and export as spreadsheets (catalogue.resources): a preview with each row's errors first.
    resource_classes = [ProductResource]
    formats = [CSV, XLSX]
    import_template_name = "admin/catalogue/product/import.html"
    skip_admin_log = True  # the resource writes the history, in the import's own transaction

    def has_import_permission(self, request):
        """An import adds products and changes them: it takes both permissions."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        """After the confirmed import: its summary, or why nothing was saved (rows that became invalid
        since the preview roll the whole import back)."""
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, f"Nothing was imported: {first_problem(result)}", messages.ERROR)
            return redirect(reverse("admin:catalogue_product_import"))
        return super().process_result(result, request)

    @admin.action(description="Change prices of selected products", permissions=["change"])
    def change_prices(self, request, queryset):
        """A percentage or an amount, with rounding: a form first, then all the prices at once."""
        form = PriceChangeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            by = form.cleaned_data["how"]
            try:
                count = products_change_prices(products=queryset, rounding=form.cleaned_data["rounding"],
                                               **{by: form.cleaned_data["value"]})  # fmt: skip
            except ValidationError as error:
                self.message_user(request, f"No price changed: {error.messages[0]}", messages.ERROR)
                return None
            self.message_user(request, f"Changed the price of {count} product(s).")
            return None
        count = queryset.count()
        return _action_form(self, request, title="Change prices", form=form, selected=queryset, action="change_prices",
                            submit="Change prices",
                            intro=f"Change the price of {count} selected product{pluralize(count)}.")  # fmt: skip

    class Media:
        css = {"all": ["catalogue/admin.css"]}
        js = ["catalogue/image-preview.js"]

    @admin.display(description="")
    def thumbnail(self, product):
        if not product.image_thumbnail:
            return format_html('<span class="no-thumbnail" title="{}"></span>', "No picture")
        return format_html(
            '<img class="thumbnail" src="{}" alt="" width="32" height="32" loading="lazy">',
            _rendition_url(product.image_thumbnail),
        )

    @admin.display(description="as devices show it")
    def picture(self, product):
        """The detail image devices get (made from the upload), at its size in pixels."""
        if not product.image_detail:
            return "No picture yet: upload one above."
        return format_html(
            '<img class="picture-preview" src="{}" alt="" width="{}" height="{}"><br>{} × {} px',
            _rendition_url(product.image_detail),
            product.image_width,
            product.image_height,
            product.image_width,
            product.image_height,
        )

    def changelist_view(self, request, extra_context=None):
        """The list without the admin's navigation sidebar: at 1280 px its 300 px are the columns' room."""
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, product):
        """The day in the locale's short format ("12/04/2026"), the date and time in its tooltip."""
        when = timezone.localtime(product.updated_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            when.isoformat(),
            date_format(when, "DATETIME_FORMAT"),
            date_format(when, "SHORT_DATE_FORMAT"),
        )

    @admin.display(description="name", ordering="name")
    def short_name(self, product):
        """One line at 1280 px: the name cut short, whole in its tooltip."""
        return format_html('<span class="product-name" title="{}">{}</span>', product.name, product.name)

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


class RejectOrdersForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="The sales rep sees it on the order.")


class OrderLineInline(admin.TabularInline):
    """An order's lines: editable while it is a draft, read-only once submitted (its prices are fixed)."""

    model = OrderLine
    fields = ["product", "quantity", "in_stock", "quoted_price", "unit_price", "line_total"]
    readonly_fields = ["in_stock", "unit_price", "line_total"]
    autocomplete_fields = ["product"]
    extra = 0

    @admin.display(description="in stock now")
    def in_stock(self, line):
        """A submission reserves no stock: staff see here whether it covers the line before deciding."""
        if line.product is None:
            return "no longer sold"
        short = line.quantity is not None and line.product.stock < line.quantity
        return f"{line.product.stock} (short)" if short else line.product.stock

    def _is_draft(self, order) -> bool:
        return order is None or order.status == Order.Status.DRAFT

    def get_readonly_fields(self, request, obj=None):
        return self.fields if not self._is_draft(obj) else self.readonly_fields

    def has_add_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Every user's orders, for staff: decided here (confirm, or reject with a reason)."""

    list_display = ["short_id", "customer", "owner", "status", "total", "currency", "submitted_at", "created_at"]
    list_filter = ["status", "submitted_at", "created_at"]
    search_fields = ["customer", "owner__username", "id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "status", "currency", "total", "created_at", "submitted_at", "decided_at",
                       "decision_reason", "version"]  # fmt: skip
    fields = ["id", "owner", "customer", "note", *readonly_fields[1:]]
    autocomplete_fields = ["owner"]
    inlines = [OrderLineInline]
    actions = ["confirm", "reject"]

    @admin.display(description="order", ordering="id")
    def short_id(self, order):
        return str(order.id)[:8]

    def get_readonly_fields(self, request, obj=None):
        """Who took it and for whom are the device's, once submitted."""
        if obj is not None and obj.status != Order.Status.DRAFT:
            return [*self.readonly_fields, "owner", "customer", "note"]
        return self.readonly_fields

    def _decide(self, request, queryset, *, confirm: bool, reason: str = "") -> None:
        try:
            count = orders_decide(orders=queryset, confirm=confirm, reason=reason)
        except ValidationError as error:
            self.message_user(request, f"No order decided: {error.messages[0]}", messages.ERROR)
            return
        self.message_user(request, f"{'Confirmed' if confirm else 'Rejected'} {count} order(s).")

    @admin.action(description="Confirm selected orders", permissions=["change"])
    def confirm(self, request, queryset):
        self._decide(request, queryset, confirm=True)

    @admin.action(description="Reject selected orders (with a reason)", permissions=["change"])
    def reject(self, request, queryset):
        """A reason first, then every selected order at once."""
        form = RejectOrdersForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._decide(request, queryset, confirm=False, reason=form.cleaned_data["reason"])
            return None
        orders = list(queryset)
        intro = f"Reject {len(orders)} selected order{pluralize(len(orders))}: {', '.join(map(str, orders))}."
        return _action_form(self, request, title="Reject orders", form=form, selected=orders, action="reject",
                            submit="Reject orders", intro=intro)  # fmt: skip
