"""The admin's product list as shop staff see it at 1280 px: every column on screen, codes and dates on one line."""

import pytest

from catalogue.demo_accounts import demo_accounts_create

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
