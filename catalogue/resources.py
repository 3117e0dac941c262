"""Products as spreadsheet rows (CSV, XLSX), for the admin's import and export (django-import-export).

A row is a product, found by its SKU: a known SKU updates it, a new one adds
it, an unchanged row is skipped. The columns are read as `catalogue.import_columns`
says (the category as its path, "Tools > Drills"). An import is one
transaction that takes the writers' lock first and writes its rows in
batches: every imported change takes a version, as any other write does, and
devices pull it; one bad row and nothing is saved. Its history entries are
written in the same transaction. See docs/decisions/0007-product-import.md.
"""

from functools import cached_property
from operator import attrgetter

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.html import format_html
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult

from catalogue.import_columns import CategoryColumn, Price, TrimmedText, WholeNumber, YesNo
from catalogue.models import Product
from catalogue.services import products_write_rows
from syncapi.versioning import lock_versions

BATCH_SIZE = 1000
SKU_TWICE = "SKU {sku} is on an earlier row of this file too."


class SkuLoader(ModelInstanceLoader):
    """Every product the file names, read in a few queries up front rather than one per row."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.products = {}
        if dataset is None or "sku" not in (dataset.headers or []):
            return
        widget = resource.fields["sku"].widget
        skus = list({widget.clean(value) for value in dataset["sku"]})
        # As many as one query may name (SQLite caps its parameters; PostgreSQL takes them all).
        step = connections[resource.get_db_connection_name()].ops.bulk_batch_size(["sku"], skus) or 1
        for start in range(0, len(skus), step):
            for product in self.get_queryset().filter(sku__in=skus[start : start + step]):
                self.products[product.sku] = product

    def get_instance(self, row):
        return self.products.get(self.resource.fields["sku"].clean(row))


class RowChanges:
    """What an import does to one product: the preview's cells (an iterable, as the library's diff
    is) and the columns it changes, for the history. Cells are rendered when the preview shows them."""

    def __init__(self, columns: list[fields.Field], before: list | None, product: Product):
        self.columns, self.before, self.product = columns, before, product

    @property
    def changed(self) -> list[str]:
        if self.before is None:
            return []
        return [
            c.column_name for c, old in zip(self.columns, self.before, strict=True) if c.get_value(self.product) != old
        ]

    def __iter__(self):
        for i, column in enumerate(self.columns):
            new = column.export(self.product)
            old = column.widget.render(self.before[i]) if self.before is not None else new
            yield format_html("<del>{}</del> <ins>{}</ins>", old, new) if old != new else new


class ProductResource(resources.ModelResource):
    sku = fields.Field(attribute="sku", column_name="sku", widget=TrimmedText())
    name = fields.Field(attribute="name", column_name="name", widget=TrimmedText())
    description = fields.Field(attribute="description", column_name="description", widget=widgets.CharWidget())
    price = fields.Field(attribute="price", column_name="price", widget=Price())
    currency = fields.Field(attribute="currency", column_name="currency", widget=TrimmedText(), default="EUR")
    stock = fields.Field(attribute="stock", column_name="stock", widget=WholeNumber())
    # A blank cell leaves a product as it is (a new one: active).
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNo(), saves_null_values=False)
    # The id, not the object: comparing and writing rows then reads no category per row.
    category = fields.Field(attribute="category_id", column_name="category", widget=CategoryColumn())

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "stock", "is_active", "category"]
        import_order = export_order = fields
        import_id_fields = ["sku"]
        instance_loader_class = SkuLoader
        use_transactions = True
        use_bulk = True
        batch_size = BATCH_SIZE
        # The library's diff deep-copies every product and diffs every cell, about half an import's
        # time: this resource compares and previews rows itself (after_init_instance, skip_row,
        # after_import_row), rendering only the rows a preview shows.
        skip_diff = True
        report_skipped = False  # the preview lists what changes; the unchanged are counted

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """The whole import in one transaction that takes the writers' lock first, as every bulk write does.

        All or nothing: one bad row, and no row is saved.
        """
        using = self.get_db_connection_name()
        kwargs["rollback_on_validation_errors"] = True
        self._dry_run = dry_run
        with transaction.atomic(using=using):
            if not dry_run:
                lock_versions(using)
            return super().import_data(dataset, dry_run, raise_errors, use_transactions, **kwargs)

    @cached_property
    def _columns(self) -> list[fields.Field]:
        return super().get_import_fields()

    def get_import_fields(self):
        return self._columns  # asked several times per row

    def before_import(self, dataset, **kwargs):
        self._skus_seen = set()
        self._now = timezone.now()

    def before_import_row(self, row, **kwargs):
        """A SKU twice in one file is an error of the later row: which of the two should win?"""
        sku = self.fields["sku"].clean(row) if "sku" in row else ""
        if sku and sku in self._skus_seen:
            raise ValidationError({"sku": SKU_TWICE.format(sku=sku)})
        self._skus_seen.add(sku)

    @cached_property
    def _values(self):
        """The columns' values of a product, in one call (this runs twice for every row)."""
        return attrgetter(*(column.attribute for column in self._columns))

    def after_init_instance(self, instance, new, row, **kwargs):
        self._product = instance
        self._before = None if new else self._values(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """An existing product the row leaves as it is: no write, no new version."""
        return not import_validation_errors and self._before is not None and self._values(instance) == self._before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's field checks (price ≥ 0, stock ≥ 0, lengths), without a query per row.

        The SKU's uniqueness is the loader's and `before_import_row`'s to check,
        the category's existence the category column's.
        """
        errors = dict(import_validation_errors or {})
        try:
            instance.clean_fields(exclude={*errors, "category", "id"})
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:  # under the file's column names ("category", not "category_id")
            columns = {column.attribute: column.column_name for column in self._columns}
            raise ValidationError({columns.get(name, name): problems for name, problems in errors.items()})

    def before_save_instance(self, instance, row, **kwargs):
        instance.updated_at = self._now  # bulk_update skips auto_now

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "updated_at"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """Nothing is written in a dry run (the preview): every row was checked already, and writes
        rolled back would hold the writers' lock, stalling every device's push, for nothing."""
        if dry_run:
            self.create_instances.clear()
            return
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """The batch's changed products as plain UPDATEs (`products_write_rows`), not `bulk_update`'s CASEs."""
        if dry_run or not self.update_instances:
            self.update_instances.clear()
            return
        try:
            products_write_rows(products=self.update_instances, fields=self.get_bulk_update_fields(),
                                using=self.get_db_connection_name())  # fmt: skip
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.update_instances.clear()

    def after_import_row(self, row, row_result, **kwargs):
        if row_result.import_type in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            row_result.diff = RowChanges(self._columns, self._before, self._product)

    def after_import(self, dataset, result, **kwargs):
        """The history of each product imported, in the import's transaction (so none is kept if it rolls back)."""
        user = kwargs.get("user")
        if self._dry_run or user is None or result.has_errors() or result.has_validation_errors():
            return
        via = f"through import of {kwargs['file_name']}" if kwargs.get("file_name") else "through import"
        content_type = ContentType.objects.get_for_model(Product)
        entries = []
        for row in result.rows:
            if row.import_type == RowResult.IMPORT_TYPE_NEW:
                flag, what = ADDITION, "Added"
            elif row.import_type == RowResult.IMPORT_TYPE_UPDATE:
                flag, what = CHANGE, f"Changed {', '.join(row.diff.changed)}"
            else:
                continue
            entries.append(LogEntry(user_id=user.pk, content_type=content_type, object_id=str(row.object_id),
                                    object_repr=row.object_repr[:200], action_flag=flag,
                                    change_message=f"{what} {via}."))  # fmt: skip
        LogEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)


def first_problem(result) -> str:
    """The first thing wrong with an import, in one sentence (the preview lists them all)."""
    if result.base_errors:
        return str(result.base_errors[0].error)
    if result.invalid_rows:
        row = result.invalid_rows[0]
        field, problems = next(iter(row.error_dict.items()))
        return f"row {row.number}, {field}: {problems[0]}"
    if result.error_rows:
        row = result.error_rows[0]
        return f"row {row.number}: {row.errors[0].error}"
    return ""
