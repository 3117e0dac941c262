"""Screenshots of the app's main screens at a phone's width (390 px) and a desktop's (1280 px).

Serves a fresh demo catalogue as `bench` does (gunicorn, DEBUG off), opens the
app in headless Chromium as a signed-in staff member, and writes PNGs to
docs/img/screens/: the list, a search, a product, the outbox with a change
waiting, and the Django admin's product and device lists. README.md and
docs/client-architecture.md show them; refresh them with

    make screenshots
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import CHROMIUM, _django, serve  # noqa: E402

OUT = ROOT / "docs" / "img" / "screens"
USER, PASSWORD = "sam", "screenshots-only"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
NEW_PRICES = {"phone": "49.99", "desktop": "44.99"}  # a change each, as the first is sent before the second

CREATE_USER = f"""
import django; django.setup()
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser({USER!r}, "", {PASSWORD!r})
"""


def add_user(env: dict, _static: Path) -> None:
    _django(env, "-c", CREATE_USER)


def ready(page) -> None:
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    page.wait_for_function("window.offlineSync.catalogue.productCount > 0 && !document.querySelector('.is-syncing')")


def shoot(page, name: str, width: str) -> None:
    page.wait_for_timeout(300)  # let the last frame paint (a picture, not a test: nothing is asserted)
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=path)
    print(f"  {path.relative_to(ROOT)}")


def screens(playwright, base: str, width: str) -> None:
    w, h = WIDTHS[width]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    context = browser.new_context(
        viewport={"width": w, "height": h}, device_scale_factor=1, locale="en-GB", bypass_csp=True
    )  # for wait_for_function; the pages are not tested here
    page = context.new_page()
    page.goto(f"{base}/")
    ready(page)
    page.evaluate(f"window.offlineSync.session.login({USER!r}, {PASSWORD!r})")
    page.reload()
    ready(page)
    shoot(page, "list", width)

    page.fill("#search", "bosch drill")
    page.wait_for_function("document.querySelector('li.product-row mark')")
    shoot(page, "search", width)

    page.locator("li.product-row button.row-open").first.click()
    page.wait_for_selector("#product-detail")
    page.fill("#edit-price", NEW_PRICES[width])
    page.context.set_offline(True)
    page.click("#save-product")
    page.wait_for_selector("[data-edit-status]:not(:empty)")
    shoot(page, "product", width)
    page.keyboard.press("Escape")

    page.click("#outbox-chip")
    page.wait_for_selector("#outbox .outbox-entry")
    shoot(page, "outbox", width)
    page.keyboard.press("Escape")
    page.context.set_offline(False)

    page.goto(f"{base}/admin/login/?next=/admin/catalogue/product/")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    shoot(page, "admin-products", width)
    page.goto(f"{base}/admin/syncapi/devicetoken/")
    page.wait_for_selector("#result_list")
    shoot(page, "admin-devices", width)
    browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with serve(args.products, name="screens", before_start=add_user) as (base, _url), sync_playwright() as playwright:
        for width in WIDTHS:
            screens(playwright, base, width)


if __name__ == "__main__":
    main()
