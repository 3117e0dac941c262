"""The admin's product pages as shop staff see them: at 1280 px every column of the list on screen, codes and
dates on one line; a chosen picture previewed before it is saved."""

import pytest
from PIL import Image

from catalogue.demo_accounts import demo_accounts_create
from catalogue.models import Product
from tests.frontend.browser import poll, wait_until

pytestmark = pytest.mark.once  # a layout in the browser, whatever the database

# Cells whose text wraps onto a second line, and how far the table reaches past its box.
LAYOUT = """() => {
  const results = document.querySelector('.results');
  const wrapped = [...document.querySelectorAll('#result_list tbody td, #result_list tbody th')]
    .filter((cell) => [...cell.querySelectorAll('a, span, time')].some((el) => el.getClientRects().length > 1))
    .map((cell) => cell.className);
  const table = document.getElementById('result_list').getBoundingClientRect();
  return {overflow: results.scrollWidth - results.clientWidth, wrapped: [...new Set(wrapped)],
          right: table.right, width: window.innerWidth};
}"""


def test_the_product_list_fits_1280_px_with_codes_names_and_dates_on_one_line(prod_server, page, catalogue):
    staff = next(a for a in demo_accounts_create() if a.username == "staff")  # staff, not a superuser
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(prod_server.url + "/admin/login/?next=/admin/catalogue/product/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", staff.password)
    page.click("input[type=submit]")
    page.locator("#result_list").wait_for()

    layout = page.evaluate(LAYOUT)
    assert layout["overflow"] <= 0  # no sideways scrolling to reach stock, active or updated
    assert layout["right"] <= layout["width"]
    assert layout["wrapped"] == []  # the SKU ("HW-SAF-" over three lines), the name, the date on one line


def test_the_product_form_previews_a_chosen_picture_before_it_is_saved(prod_server, page, catalogue, tmp_path):
    staff = next(a for a in demo_accounts_create() if a.username == "staff")
    product = Product.objects.filter(image_detail="").order_by("name").first()
    page.goto(prod_server.url + f"/admin/login/?next=/admin/catalogue/product/{product.pk}/change/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", staff.password)
    page.click("input[type=submit]")
    chosen = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), (200, 40, 40)).save(chosen)

    page.set_input_files("#id_image", str(chosen))

    wait_until(page, poll("document.querySelector('.picture-chosen')?.naturalWidth === 300"))
    assert page.locator(".picture-chosen").is_visible()
