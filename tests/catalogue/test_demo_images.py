"""Demo product pictures: one motif per subcategory, deterministic, never a blank tile."""

from itertools import combinations

import pytest
from PIL import Image, ImageChops

from catalogue.demo_data import DEPARTMENTS
from catalogue.demo_images import DEPARTMENT_OF, VARIANTS, draw

SIZE = 64  # small keeps the tests quick; a bigger picture is the same drawing at a finer scale
SUBS = [sub.code for department in DEPARTMENTS for sub in department.subs]


def share_changed(a: Image.Image, b: Image.Image, threshold: int = 10) -> float:
    """The share of pixels whose colour differs by more than `threshold` (mean over R, G and B)."""
    diff = ImageChops.difference(a, b).convert("L", (1 / 3, 1 / 3, 1 / 3, 0))
    return sum(diff.histogram()[threshold + 1 :]) / (a.width * a.height)


def assert_drawn(image: Image.Image) -> None:
    """Many colours, and the middle of the picture is not the backdrop seen in its corner."""
    assert len(image.getcolors(maxcolors=image.width * image.height)) >= 150
    corner = image.getpixel((1, 1))
    quarter = image.width // 4
    middle = image.crop((quarter, quarter, 3 * quarter, 3 * quarter))
    assert share_changed(middle, Image.new("RGB", middle.size, corner), threshold=15) > 0.15


def test_every_subcategory_of_the_demo_tree_has_a_motif_in_its_department():
    assert {sub.code: department.code for department in DEPARTMENTS for sub in department.subs} == DEPARTMENT_OF


@pytest.mark.parametrize(("code", "variant", "size"), [("DRL", 0, 640), ("SMH", 5, 200), ("PCK", 7, 64), ("??", 2, 64)])
def test_the_same_arguments_give_the_same_pixels(code, variant, size):
    assert draw(code, variant, size).tobytes() == draw(code, variant, size).tobytes()


@pytest.mark.parametrize("size", [16, 64, 320, 321, 640])
def test_size_is_honoured(size):
    image = draw("AUD", 1, size)
    assert image.mode == "RGB"
    assert image.size == (size, size)


def test_a_size_too_small_to_draw_on_is_refused():
    with pytest.raises(ValueError, match="at least"):
        draw("AUD", 1, 8)


@pytest.mark.parametrize("code", SUBS)
def test_every_variant_is_drawn_and_looks_different(code):
    images = [draw(code, variant, SIZE) for variant in range(VARIANTS)]
    for image in images:
        assert_drawn(image)
    for a, b in combinations(images, 2):
        assert share_changed(a, b) > 0.1


def test_subcategories_get_different_pictures():
    images = {code: draw(code, 0, SIZE) for code in SUBS}
    same_department = [(a, b) for a, b in combinations(SUBS, 2) if DEPARTMENT_OF[a] == DEPARTMENT_OF[b]]
    for a, b in same_department:  # same palette and backdrop, so only the motif tells them apart
        assert share_changed(images[a], images[b]) > 0.1, (a, b)
    assert len({image.tobytes() for image in images.values()}) == len(SUBS)


def test_variants_beyond_the_last_wrap_round_and_codes_ignore_case():
    assert draw("KNF", VARIANTS + 3, SIZE).tobytes() == draw("KNF", 3, SIZE).tobytes()
    assert draw(" knf", 3, SIZE).tobytes() == draw("KNF", 3, SIZE).tobytes()


@pytest.mark.parametrize("code", ["ZZZ", "Q1", ""])
def test_an_unknown_code_still_gets_a_picture(code):
    image = draw(code, 4, 128)
    assert image.size == (128, 128)
    assert_drawn(image)
    assert all(share_changed(image, draw(known, 4, 128)) > 0.1 for known in ("STO", "PCK", "STR"))
