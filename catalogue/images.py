"""Product pictures: upload checks, and the two renditions the app shows.

An upload is checked by what Pillow reads in it, never by its name: its
format, its size in bytes and its pixel count. Each accepted picture gives a
list thumbnail (about 160 px) and a detail image (about 640 px), in WebP, in
the `product-images` storage, named by a hash of the upload's bytes and of
the recipe that made them (`<16 hex>-160.webp`, `<16 hex>-640.webp`). A name
is therefore never reused for other pictures: the files are immutable,
served with a one-year `immutable` cache lifetime, and a new picture is a
new URL. The two names share their stem, so a record's two URLs cost the
compressed first download one hash, not two (docs/decisions/0010).
"""

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image, ImageOps, UnidentifiedImageError

STORAGE = "product-images"
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_PX, DETAIL_PX = 160, 640
WEBP_QUALITY = 80
# What makes the renditions: a change here must change their names (the stem hashes it too).
RECIPE = f"thumbnail {THUMBNAIL_PX}, detail {DETAIL_PX}, WebP quality {WEBP_QUALITY}, method 4".encode()
# A rendition's storage name: 64 bits of the hash (two of 10^8 pictures share one with a chance of
# about 1 in 3,700), then its size. The pattern of the URLs that serve them.
NAME_PATTERN = r"[0-9a-f]{16}-(?:160|640)\.webp"


@dataclass(frozen=True)
class Renditions:
    """Storage names of a picture's renditions, and the detail image's size in pixels."""

    thumbnail: str
    detail: str
    width: int
    height: int


def image_storage():
    return storages[STORAGE]


def image_check(file) -> str:
    """The real format's usual extension ("jpg", "png"...) of an uploaded picture.

    Raises ValidationError (codes `image_too_large`, `not_an_image`,
    `image_format`, `too_many_pixels`) with a message an admin can act on.
    """
    if file.size > MAX_BYTES:
        raise ValidationError(
            "This file is %(size)s MB; a picture may be at most %(max)s MB.",
            code="image_too_large",
            params={"size": f"{file.size / 1024 / 1024:.1f}", "max": MAX_BYTES // 1024 // 1024},
        )
    file.seek(0)
    try:
        with Image.open(file) as image:  # reads the header only
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise ValidationError(
            "This file is not a picture Pillow can read (JPEG, PNG, WebP or GIF).", code="not_an_image"
        ) from None
    finally:
        file.seek(0)
    if kind not in FORMATS:
        raise ValidationError(
            "%(format)s pictures are not accepted; use JPEG, PNG, WebP or GIF.",
            code="image_format",
            params={"format": kind},
        )
    if width * height > MAX_PIXELS:
        raise ValidationError(
            "This picture is %(width)s × %(height)s pixels; at most %(max)s megapixels are accepted.",
            code="too_many_pixels",
            params={"width": width, "height": height, "max": MAX_PIXELS // 1_000_000},
        )
    return FORMATS[kind]


def renditions_make(file) -> Renditions:
    """Store a checked picture's thumbnail and detail image (once: the same picture, the same files)."""
    file.seek(0)
    data = file.read()
    stem = hashlib.sha256(RECIPE + data).hexdigest()[:16]
    thumbnail, detail = f"{stem}-{THUMBNAIL_PX}.webp", f"{stem}-{DETAIL_PX}.webp"
    storage = image_storage()
    if storage.exists(thumbnail) and storage.exists(detail):
        with storage.open(detail) as stored, Image.open(stored) as image:
            return Renditions(thumbnail, detail, image.width, image.height)
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # a phone's photo the right way up
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    large = _fitted(image, DETAIL_PX)
    _store(_fitted(image, THUMBNAIL_PX), thumbnail)
    _store(large, detail)  # last: its presence says both are there
    return Renditions(thumbnail, detail, large.width, large.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _fitted(image: Image.Image, px: int) -> Image.Image:
    """The picture within px × px, never enlarged."""
    copy = image.copy()
    copy.thumbnail((px, px), Image.Resampling.LANCZOS)
    return copy


def _store(image: Image.Image, name: str) -> None:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    storage = image_storage()
    if not storage.exists(name):  # another server may have made it meanwhile: the same bytes
        storage.save(name, ContentFile(buffer.getvalue()))


def renditions_unused(*, used: set[str], older_than: datetime) -> list[str]:
    """Renditions in the storage that are not in `used` and were written before `older_than`.

    The age keeps what a device may still ask for: a picture replaced since
    the snapshot it started from, or one being made for an upload right now.
    """
    storage = image_storage()
    _, names = storage.listdir("")
    return [
        name
        for name in names
        if re.fullmatch(NAME_PATTERN, name) and name not in used and storage.get_modified_time(name) < older_than
    ]
