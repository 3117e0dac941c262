"""Products imported and exported as CSV and XLSX in the admin: a preview with each row's errors first,
all rows or none, and versions that devices pull like any other change."""

import base64
import hashlib
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.urls import reverse
from tablib import Dataset

from catalogue.import_columns import AMBIGUOUS_CATEGORY, NO_SUCH_CATEGORY, NOT_A_PRICE, NOT_A_WHOLE_NUMBER
from catalogue.models import NEGATIVE_STOCK, Category, Product
from catalogue.resources import SKU_TWICE, ProductResource
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:catalogue_product_import")
CONFIRM = reverse("admin:catalogue_product_process_import")
EXPORT = reverse("admin:catalogue_product_export")
PRODUCTS = reverse("admin:catalogue_product_changelist")
CSV, XLSX = "0", "1"  # the admin's formats, in order
HEADER = "sku,name,description,price,currency,stock,is_active,category\n"


@pytest.fixture(autouse=True)
def import_files(settings, tmp_path):
    """Uploaded files wait between preview and confirm in a storage of this test's own."""
    location = tmp_path / "import-export"
    settings.STORAGES = {
        **settings.STORAGES,
        "import_export": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    return location


def test_a_previewed_file_waits_in_the_shared_storage_and_the_confirm_removes_it(admin_client, import_files):
    preview = upload(admin_client, HEADER + "NEW-1,Saw,,12.00,EUR,3,yes,\n")
    assert len(list(import_files.rglob("*"))) == 2  # its folder and the file: another server can confirm it
    confirm(admin_client, preview)
    assert Product.objects.filter(sku="NEW-1").exists()
    assert [path for path in import_files.rglob("*") if path.is_file()] == []


@pytest.fixture
def drills(category):
    return Category.objects.create(name="Drills", parent=category)  # under "Tools"


def upload(client, content: str | bytes, *, fmt: str = CSV, name: str = "products.csv"):
    """The import's first step: the file, previewed (a dry run)."""
    data = content.encode() if isinstance(content, str) else content
    return client.post(IMPORT, {"format": fmt, "resource": "0", "import_file": SimpleUploadedFile(name, data)})


def confirm(client, preview):
    """The import's second step: what the preview's confirm form holds, sent back."""
    form = preview.context["confirm_form"]
    return client.post(CONFIRM, {name: form.initial.get(name, "") for name in form.fields})


def assert_clean(result) -> None:
    """No row of the import has an error (and if one has, say which)."""
    assert not result.has_validation_errors(), [(row.number, row.error_dict) for row in result.invalid_rows]
    assert not result.has_errors(), [e.traceback for e in result.base_errors] + [
        e.traceback for _, errors in result.row_errors() for e in errors
    ]


def top_version() -> int:
    return Product.objects.aggregate(top=Max("version"))["top"] or 0


def all_rows() -> list[tuple]:
    return list(Product.objects.order_by("sku").values_list("sku", "name", "price", "stock", "version"))


@pytest.mark.parametrize(
    ("bad_row", "field", "message"),
    [
        ("NEW-2,Hammer,,abc,EUR,4,yes,", "price", NOT_A_PRICE),
        ("NEW-2,Hammer,,9.50,EUR,-2,yes,", "stock", NEGATIVE_STOCK),
        ("NEW-2,Hammer,,9.50,EUR,2.5,yes,", "stock", NOT_A_WHOLE_NUMBER),
    ],
    ids=["price-abc", "negative-stock", "fractional-stock"],
)
def test_an_import_with_one_bad_row_shows_that_rows_error_and_saves_nothing(admin_client, product, bad_row, field,
                                                                            message):  # fmt: skip
    before = all_rows()
    csv = HEADER + f"NEW-1,Saw,,12.00,EUR,3,yes,\n{bad_row}\n{product.sku},Renamed,,1.00,EUR,1,yes,\n"

    response = upload(admin_client, csv)

    assert response.status_code == 200
    result = response.context["result"]
    [invalid] = result.invalid_rows
    assert (invalid.number, invalid.field_specific_errors) == (2, {field: [message]})
    assert "confirm_form" not in response.context  # nothing to confirm
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert message in page
    assert all_rows() == before


def test_a_bad_row_met_at_the_confirm_step_saves_no_row_at_all(product):
    """All or nothing even when a row turns bad between preview and confirm: the import rolls back."""
    before = all_rows()
    dataset = Dataset().load(HEADER + f"NEW-1,Saw,,12.00,EUR,3,yes,\n{product.sku},Renamed,,abc,EUR,1,yes,\n", "csv")

    result = ProductResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert all_rows() == before


def test_a_good_csv_is_previewed_then_imported_with_versions_devices_pull(admin_client, api, category, drills):
    kept = make_product(category, sku="KEEP-1", name="Kept", price=Decimal("5.00"), stock=1)
    changed = make_product(category, sku="CHG-1", name="Changed", price=Decimal("10.00"), stock=2)
    first_pull = api.get("/api/sync/pull/products/").json()
    assert {r["sku"] for r in first_pull["upserts"]} == {"KEEP-1", "CHG-1"}
    before, kept_version = top_version(), Product.objects.get(pk=kept.pk).version
    csv = HEADER + (
        "KEEP-1,Kept,,5.00,EUR,1,yes,Tools\n"  # as it is
        "CHG-1,Changed,,12.50,EUR,2,yes,Tools\n"  # a new price
        "NEW-1,Cordless drill,18 V,89.90,EUR,7,yes,Tools > Drills\n"
    )

    preview = upload(admin_client, csv)

    assert preview.status_code == 200
    result = preview.context["result"]
    assert_clean(result)
    assert [(row.import_type, row.object_repr) for row in result.valid_rows()] == [
        ("update", "Changed (CHG-1)"),
        ("new", "Cordless drill (NEW-1)"),
    ]
    assert (result.totals["skip"], top_version(), Product.objects.count()) == (1, before, 2)  # a dry run
    page = preview.content.decode()
    assert "1 new, 1 updated, 1 unchanged (skipped)." in page
    assert "<td><del>10.00</del> <ins>12.50</ins></td>" in page  # the change, marked
    assert "<td>Tools &gt; Drills</td>" in page

    done = confirm(admin_client, preview)

    assert done.status_code == 302
    assert "Import finished: 1 new, 1 updated, 0 deleted and 1 skipped products." in [
        str(m) for m in admin_client.get(PRODUCTS).context["messages"]
    ]
    new = Product.objects.get(sku="NEW-1")
    changed.refresh_from_db()
    assert (new.name, new.description, new.price, new.stock, new.category) == (
        "Cordless drill", "18 V", Decimal("89.90"), 7, drills,
    )  # fmt: skip
    assert changed.price == Decimal("12.50")
    assert min(new.version, changed.version) > before
    assert Product.objects.get(pk=kept.pk).version == kept_version  # skipped: unchanged
    delta = api.get("/api/sync/pull/products/", {"cursor": first_pull["cursor"]}).json()
    assert sorted(r["sku"] for r in delta["upserts"]) == ["CHG-1", "NEW-1"]
    assert next(r for r in delta["upserts"] if r["sku"] == "CHG-1")["price"] == "12.50"


def test_a_large_preview_counts_every_row_and_lists_the_first_500(admin_client):
    csv = HEADER + "".join(f"NEW-{n:04d},Product {n},,1.00,EUR,1,yes,\n" for n in range(501))

    page = upload(admin_client, csv).content.decode()

    assert "501 new, 0 updated, 0 unchanged (skipped). The first 500 changes are listed." in " ".join(page.split())
    assert page.count('<tr class="new">') == 500


def test_a_row_that_turned_bad_after_the_preview_makes_the_confirm_step_import_nothing(admin_client, drills):
    preview = upload(
        admin_client, HEADER + "NEW-1,Saw,,12.00,EUR,3,yes,\nNEW-2,Drill,,80.00,EUR,1,yes,Tools > Drills\n"
    )
    drills.delete()  # meanwhile, in another tab

    done = confirm(admin_client, preview)

    assert (done.status_code, done["Location"]) == (302, IMPORT)
    message = NO_SUCH_CATEGORY.format(text="Tools > Drills", example="Tools")
    assert [str(m) for m in admin_client.get(IMPORT).context["messages"]] == [
        f"Nothing was imported: row 2, category: {message}"
    ]
    assert not Product.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_import_is_in_each_products_history_with_its_user_and_what_changed(admin_client, admin_user):
    make_product(None, sku="CHG-1", name="Changed", price=Decimal("10.00"), stock=3)

    confirm(admin_client, upload(admin_client, HEADER + "CHG-1,Changed,,11.00,EUR,2,yes,\nNEW-1,New,,1.00,,0,,\n"))

    entries = {e.object_repr: (e.user, e.action_flag, e.get_change_message()) for e in LogEntry.objects.all()}
    assert entries == {
        "Changed (CHG-1)": (admin_user, CHANGE, "Changed price, stock through import of products.csv."),
        "New (NEW-1)": (admin_user, ADDITION, "Added through import of products.csv."),
    }


def test_blank_cells_take_the_defaults_of_a_new_product(admin_client):
    confirm(admin_client, upload(admin_client, HEADER + "NEW-1,Plain,,1.00,,0,,\n"))

    product = Product.objects.get(sku="NEW-1")
    assert (product.currency, product.is_active, product.category) == ("EUR", True, None)


def xlsx_export(client, query: str = "") -> bytes:
    fields = {f"productresource_{name}": "on" for name in ProductResource._meta.fields}
    response = client.post(f"{EXPORT}{query}", {"format": XLSX, "resource": "0", **fields})
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response.content


def sheet_rows(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_an_xlsx_export_imports_back_unchanged(admin_client, category, drills):
    make_product(drills, sku="A-1", name="Drill", price=Decimal("89.90"), stock=7, description="18 V")
    make_product(None, sku="B-2", name="Loose", price=Decimal("0.99"), stock=0, is_active=False)
    before = all_rows()

    content = xlsx_export(admin_client)

    assert sheet_rows(content) == [
        ("sku", "name", "description", "price", "currency", "stock", "is_active", "category"),
        ("A-1", "Drill", "18 V", 89.9, "EUR", 7, 1, "Tools > Drills"),
        ("B-2", "Loose", None, 0.99, "EUR", 0, 0, None),
    ]
    preview = upload(admin_client, content, fmt=XLSX, name="products.xlsx")
    result = preview.context["result"]
    assert_clean(result)
    assert (result.totals["skip"], result.valid_rows()) == (2, [])
    confirm(admin_client, preview)
    assert all_rows() == before  # not even a version moved


def test_an_export_holds_the_filtered_list(admin_client, category):
    make_product(category, sku="IN-1", stock=3)
    make_product(category, sku="OUT-1", stock=0)

    content = xlsx_export(admin_client, "?stock=out")

    assert [row[0] for row in sheet_rows(content)] == ["sku", "OUT-1"]


def test_a_csv_export_downloads_the_products(admin_client, drills):
    make_product(drills, sku="A-1", name="Drill, cordless", price=Decimal("89.90"))
    fields = {f"productresource_{name}": "on" for name in ProductResource._meta.fields}

    response = admin_client.post(EXPORT, {"format": CSV, "resource": "0", **fields})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        HEADER.strip(),
        'A-1,"Drill, cordless",,89.90,EUR,3,1,Tools > Drills',
    ]


def test_a_category_is_found_by_its_path_by_a_name_only_it_has_or_by_its_id(drills):
    garden = Category.objects.create(name="Garden")
    Category.objects.create(name="Drills", parent=garden)
    rows = HEADER + (
        "A,a,,1,EUR,1,1, tools >  DRILLS \n"  # case and spaces do not matter
        f"B,b,,1,EUR,1,1,{drills.pk}\n"
        "C,c,,1,EUR,1,1,Garden\n"
    )

    result = ProductResource().import_data(Dataset().load(rows, "csv"))

    assert_clean(result)
    assert dict(Product.objects.values_list("sku", "category__name")) == {"A": "Drills", "B": "Drills", "C": "Garden"}


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Drills", AMBIGUOUS_CATEGORY.format(text="Drills", paths='"Garden > Drills" or "Tools > Drills"')),
        ("Tools > Saws", NO_SUCH_CATEGORY.format(text="Tools > Saws", example="Tools > Drills")),
    ],
    ids=["ambiguous-name", "unknown-path"],
)
def test_a_category_that_is_not_one_is_the_rows_error(drills, cell, message):
    Category.objects.create(name="Drills", parent=Category.objects.create(name="Garden"))

    result = ProductResource().import_data(Dataset().load(HEADER + f"A,a,,1,EUR,1,1,{cell}\n", "csv"))

    [invalid] = result.invalid_rows
    assert invalid.field_specific_errors == {"category": [message]}
    assert not Product.objects.exists()


def test_a_sku_twice_in_one_file_is_the_later_rows_error():
    result = ProductResource().import_data(Dataset().load(HEADER + "A,a,,1,EUR,1,1,\nA,b,,2,EUR,1,1,\n", "csv"))

    [invalid] = result.invalid_rows
    assert (invalid.number, invalid.field_specific_errors) == (2, {"sku": [SKU_TWICE.format(sku="A")]})
    assert not Product.objects.exists()


def test_staff_without_the_change_permission_cannot_import(client, django_user_model, product):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-password-1", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_product", "add_product"]))
    client.force_login(clerk)

    assert client.get(IMPORT).status_code == 403
    assert upload(client, HEADER + f"{product.sku},Renamed,,1.00,EUR,1,yes,\n").status_code == 403
    confirmed = client.post(CONFIRM, {"import_file_name": "x", "original_file_name": "x.csv", "format": CSV})
    assert confirmed.status_code == 403
    page = client.get(PRODUCTS).content.decode()
    assert IMPORT not in page  # no Import button
    assert EXPORT in page  # but viewing staff may export
    product.refresh_from_db()
    assert product.name != "Renamed"


def test_staff_who_may_not_view_products_cannot_export(client, django_user_model, product):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-password-1", is_staff=True)
    client.force_login(clerk)

    assert client.get(EXPORT).status_code == 403


def test_the_export_pages_inline_handler_and_styles_are_allowed_by_their_hashes_alone(admin_client):
    response = admin_client.get(EXPORT)

    policy = {d.split()[0]: d.split()[1:] for d in response["Content-Security-Policy"].split(";") if d.strip()}
    inline = re.findall(r'\s(on\w+|style)="([^"]*)"', response.content.decode())
    assert inline, "the page has no inline handler or style any more: drop its policy update"
    for attribute, value in inline:
        directive = "style-src" if attribute == "style" else "script-src"
        digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy[directive], (attribute, value)
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
