"""Product pictures for the demo catalogue, drawn with Pillow.

The demo shop (`catalogue.demo_data`) should look like a real one, and a real shop has a picture on every
product. Shipping photos would bloat the repository and fetching them would need the network, so each picture
is drawn here instead: a flat-design drawing of something that says what the subcategory sells (a drill, a
watering can, headphones, ...) on a soft backdrop with a floor shadow, a stand-in for a product photo.

Everything is deterministic, so a seed gives the same pictures on every run and machine:

- the subcategory picks the motif, and its department the palette (each department its own hue family);
- the variant (0 to `VARIANTS` - 1) picks the product colour, the backdrop tint, a slight tilt and size,
  and sometimes a detail of the motif, so the variants of a subcategory look like different products of a kind.

Motifs are drawn in a 100 x 100 unit space (the floor at y = 82) with polygons, ellipses, rounded rectangles
and lines, at 2x or 4x the asked size, and then downsampled with LANCZOS for anti-aliasing. Only the region the
drawing covers is resampled; the backdrop around it is drawn at the final size, which keeps a 640 px picture fast.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFilter, ImageFont

VARIANTS = 8  # distinct pictures per subcategory

_Point = tuple[float, float]
_Colour = tuple[int, ...]
_HOLE: _Colour = ()  # fill colour meaning "the backdrop here": cuts a hole in a shape drawn earlier

_FLOOR = 82.0  # where motifs stand, in motif units

# Department hue families: HSV hue (0-1), and how saturated and bright its product colours are.
_PALETTES = {"HW": (0.085, 1.0, 1.0), "HM": (0.975, 0.95, 1.0), "GD": (0.33, 0.72, 0.86), "EL": (0.575, 0.95, 1.0),
             "OF": (0.765, 0.9, 1.0)}  # fmt: skip
# Per variant: product colour (hue shift, saturation, value), backdrop (hue shift, saturation),
# pose (tilt in degrees, size, horizontal shift in units).
_PRODUCT = ((0.0, 0.80, 0.92), (0.035, 0.62, 0.80), (-0.03, 0.88, 0.64), (0.015, 0.45, 0.96),
            (-0.05, 0.74, 0.84), (0.05, 0.92, 0.74), (0.0, 0.34, 0.60), (0.022, 0.96, 0.86))  # fmt: skip
_BACKDROP = ((0.0, 0.07), (0.5, 0.06), (0.0, 0.15), (0.15, 0.1), (0.0, 0.0), (-0.12, 0.11), (0.33, 0.08), (-0.3, 0.07))
_POSE = ((0, 1.0, 0), (-6, 0.9, 2), (5, 0.95, -2), (-3, 0.86, 3), (6, 0.98, -3), (-4, 0.92, 1), (3, 0.88, -1),
         (-7, 0.96, 2))  # fmt: skip

_DARK = (42, 45, 52)
_METAL = (198, 203, 210)
_STEEL = (132, 139, 150)
_WHITE = (250, 250, 247)
_WOOD = (184, 132, 84)
_GLOW = (255, 238, 170)


# Colours


def _hsv(h: float, s: float, v: float) -> _Colour:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return round(r * 255), round(g * 255), round(b * 255)


def _mix(a: _Colour, b: _Colour, t: float) -> _Colour:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=False))


def _alpha(colour: _Colour, alpha: int) -> _Colour:
    return (*colour[:3], alpha)


@dataclass(frozen=True)
class _Colours:
    """What a motif paints with: the product colour and its shades, plus a trim for grips and handles."""

    main: _Colour
    shade: _Colour  # darker main
    light: _Colour  # paler main
    trim: _Colour  # charcoal or a deep main, by variant
    pop: _Colour  # a contrasting accent (LEDs, flowers, labels)


def _colours(hue: float, saturation: float, brightness: float, variant: int) -> _Colours:
    dh, s, v = _PRODUCT[variant]
    s, v = s * saturation, v * brightness
    main = _hsv(hue + dh, s, v)
    trim = _DARK if variant % 2 == 0 else _hsv(hue + dh, min(s + 0.1, 1.0), v * 0.5)
    pop = _hsv(hue + 0.5 + dh, 0.55, 0.95)
    return _Colours(main, _hsv(hue + dh, s + 0.08, v * 0.72), _mix(main, _WHITE, 0.5), trim, pop)


# Geometry


def _smooth(points: Sequence[_Point], closed: bool = True, rounds: int = 3) -> list[_Point]:
    """Round a polygon or polyline off by corner cutting (Chaikin)."""
    pts = list(points)
    for _ in range(rounds):
        out: list[_Point] = [] if closed else [pts[0]]
        pairs = zip(pts, pts[1:] + pts[:1], strict=True) if closed else zip(pts, pts[1:], strict=False)
        for (x0, y0), (x1, y1) in pairs:
            out += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1), (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        pts = out if closed else [*out, pts[-1]]
    return pts


def _arc_points(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int) -> list[_Point]:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = right, 90 = down)."""
    steps = max(2, round(n * abs(a1 - a0) / 360))
    return [
        (cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / steps)),
         cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / steps)))
        for i in range(steps + 1)
    ]  # fmt: skip


def _polar(r: float, degrees: float, centre: _Point = (50.0, 50.0)) -> _Point:
    a = math.radians(degrees)
    return centre[0] + r * math.cos(a), centre[1] + r * math.sin(a)


def _segments(radius_px: float) -> int:
    return max(16, min(128, round(math.sqrt(max(radius_px, 1.0)) * 6)))


class _Canvas:
    """The supersampled image being drawn on; remembers which region the drawing covers."""

    def __init__(self, image: Image.Image, top: _Colour, bottom: _Colour):
        self.image = image
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.top, self.bottom = top, bottom
        self.box = [math.inf, math.inf, -math.inf, -math.inf]

    def backdrop(self, y: float) -> _Colour:
        return _mix(self.top, self.bottom, (y + 0.5) / self.image.height)

    def _cover(self, points: Sequence[_Point], margin: float) -> None:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = self.box
        box[0], box[1] = min(box[0], min(xs) - margin), min(box[1], min(ys) - margin)
        box[2], box[3] = max(box[2], max(xs) + margin), max(box[3], max(ys) + margin)

    def polygon(self, points: Sequence[_Point], fill: _Colour) -> None:
        if fill == _HOLE:
            fill = self.backdrop(sum(p[1] for p in points) / len(points))
        self.draw.polygon(points, fill=fill)
        self._cover(points, 1)

    def circle(self, centre: _Point, radius: float, fill: _Colour) -> None:
        x, y = centre
        if fill == _HOLE:
            fill = self.backdrop(y)
        self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
        self._cover([centre], radius + 1)

    def line(self, points: Sequence[_Point], width: float, fill: _Colour) -> None:
        """A polyline with round joints and caps."""
        w = max(1, round(width))
        self.draw.line(points, fill=fill, width=w, joint="curve" if len(points) > 2 else None)
        if fill[3:] == () or fill[3] == 255:  # round caps would darken the ends of translucent lines
            for x, y in (points[0], points[-1]):
                self.draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=fill)
        self._cover(points, w / 2 + 1)


class _Pen:
    """Draws in motif units through an affine transform onto a canvas; `at` gives a moved, turned, scaled pen."""

    def __init__(self, canvas: _Canvas, matrix: tuple[float, ...]):
        self.canvas = canvas
        self.m = matrix  # x' = a x + b y + c, y' = d x + e y + f
        a, b, _, d, e, _ = matrix
        self.scale = math.sqrt(abs(a * e - b * d))

    def at(self, x: float, y: float, angle: float = 0.0, scale: float = 1.0) -> _Pen:
        """A pen whose origin is (x, y) here, turned clockwise by angle degrees and scaled."""
        cos, sin = math.cos(math.radians(angle)) * scale, math.sin(math.radians(angle)) * scale
        a, b, c, d, e, f = self.m
        return _Pen(self.canvas, (a * cos + b * sin, -a * sin + b * cos, a * x + b * y + c,
                                  d * cos + e * sin, -d * sin + e * cos, d * x + e * y + f))  # fmt: skip

    def _map(self, points: Sequence[_Point]) -> list[_Point]:
        a, b, c, d, e, f = self.m
        return [(a * x + b * y + c, d * x + e * y + f) for x, y in points]

    def poly(self, points: Sequence[_Point], fill: _Colour) -> None:
        self.canvas.polygon(self._map(points), fill)

    def blob(self, points: Sequence[_Point], fill: _Colour, rounds: int = 3) -> None:
        """A polygon with its corners rounded off."""
        self.poly(_smooth(points, True, rounds), fill)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: _Colour, a0: float = 0, a1: float = 360):
        """An ellipse, or with a0/a1 the part of one between those angles, closed by a straight chord."""
        n = _segments(max(rx, ry) * self.scale)
        self.poly(_arc_points(cx, cy, rx, ry, a0, a1, n), fill)

    def circle(self, cx: float, cy: float, r: float, fill: _Colour) -> None:
        self.canvas.circle(self._map([(cx, cy)])[0], r * self.scale, fill)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: _Colour, r: float = 0.0) -> None:
        """A rectangle, with corners rounded to radius r."""
        r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
        if r <= 0:
            self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fill)
            return
        n = _segments(r * self.scale)
        pts: list[_Point] = []
        for cx, cy, a in ((x1 - r, y0 + r, 270), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180)):
            pts += _arc_points(cx, cy, r, r, a, a + 90, n)
        self.poly(pts, fill)

    def line(self, points: Sequence[_Point], width: float, fill: _Colour) -> None:
        self.canvas.line(self._map(points), width * self.scale, fill)

    def curve(self, points: Sequence[_Point], width: float, fill: _Colour) -> None:
        """A smooth line through (near) the points."""
        self.line(_smooth(points, False, 4), width, fill)

    def arc(self, cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, width: float, fill: _Colour):
        n = _segments(max(rx, ry) * self.scale)
        self.line(_arc_points(cx, cy, rx, ry, a0, a1, n), width, fill)

    def text(self, x: float, y: float, text: str, height: float, fill: _Colour) -> None:
        """Text centred on (x, y), upright, in Pillow's built-in font (the same on every machine)."""
        (cx, cy), px = self._map([(x, y)])[0], max(8.0, height * self.scale)
        try:
            font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=px)
        except ImportError:  # Pillow without FreeType: the small bitmap font
            font = ImageFont.load_default()
        self.canvas.draw.text((cx, cy), text, fill=fill, font=font, anchor="mm")
        x0, y0, x1, y1 = self.canvas.draw.textbbox((cx, cy), text, font=font, anchor="mm")
        self.canvas._cover([(x0, y0), (x1, y1)], 1)

    def wifi(self, x: float, y: float, size: float, fill: _Colour, width: float | None = None) -> None:
        """The Wi-Fi sign: a dot at (x, y) with three arcs above it."""
        w = width or size * 0.14
        self.circle(x, y, w * 0.9, fill)
        for k in (1, 2, 3):
            r = size * k / 3
            self.arc(x, y, r, r, 225, 315, w, fill)


# Motifs: each draws one recognisable product in motif units, standing on the floor (y = 82).


@dataclass(frozen=True)
class _Motif:
    department: str
    paint: Callable[[_Pen, _Colours, int], None]
    shadow: float  # half-width of the floor shadow, in units


_MOTIFS: dict[str, _Motif] = {}


def _motif(code: str, department: str, shadow: float = 30.0):
    def register(paint: Callable[[_Pen, _Colours, int], None]):
        _MOTIFS[code] = _Motif(department, paint, shadow)
        return paint

    return register


# Tools & Hardware


@_motif("DRL", "HW", shadow=30)
def _drill(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(5, 0)
    p.poly([(6, 39), (10, 36.8), (21, 36.8), (21, 41.2), (10, 41.2)], _METAL)  # bit
    for x in (11.5, 14.5, 17.5):
        p.line([(x, 37.2), (x + 1.6, 40.8)], 0.8, _STEEL)
    p.poly([(20, 35), (29, 31.5), (29, 46.5), (20, 43)], c.trim)  # chuck
    p.rect(27, 30, 33, 48, _STEEL, r=1.5)
    p.rect(48, 46, 64, 60, c.main)  # handle
    p.poly([(48, 48), (64, 48), (60, 71), (44, 71)], c.main)
    p.poly([(53, 52), (63, 52), (59.5, 70), (49, 70)], c.trim)  # grip
    p.rect(42.5, 49, 48.5, 59, c.trim, r=1.8)  # trigger
    p.rect(32, 26, 82, 50, c.main, r=11)  # motor body
    p.rect(66, 26, 82, 50, c.shade, r=11)
    p.rect(66, 26, 72, 50, c.shade)
    for x in (71, 74.5, 78):
        p.line([(x, 32), (x, 44)], 1.4, c.trim)
    p.rect(37, 29, 62, 32.5, (255, 255, 255, 70), r=1.5)  # gloss
    p.rect(36, 69, 72, 81, c.trim, r=2.5)  # battery
    p.rect(36, 69, 72, 73, c.shade, r=1.5)
    p.rect(58, 75, 68, 77.5, c.light, r=1)


@_motif("SAW", "HW", shadow=34)
def _saw(p: _Pen, c: _Colours, v: int) -> None:
    if v % 2:  # a circular saw blade
        p.poly([_polar(27 if k % 2 == 0 else 31, k // 2 * 9 + k % 2 * 6) for k in range(80)], _METAL)
        p.circle(50, 50, 25.5, (214, 218, 224))
        p.circle(50, 50, 19, c.main)
        for a in (30, 120, 210, 300):
            p.line([_polar(20.5, a), _polar(24.5, a)], 1.4, _STEEL)
        p.arc(50, 50, 14, 14, 200, 320, 2.2, c.light)
        p.circle(50, 50, 7.5, _METAL)
        p.circle(50, 50, 3.5, _HOLE)
        return
    teeth: list[_Point] = []
    for k in range(20):  # along the lower edge, from the tip to the handle
        x, y = 10 + 2.7 * k, 54 + 0.2 * k
        teeth += [(x, y), (x + 1.9, y + 2.8)]
    p.poly([(9, 46), (64, 33), (64, 58), *reversed(teeth), (9, 54)], _METAL)  # blade
    p.poly([(9, 46), (64, 33), (64, 37), (9, 48.5)], (255, 255, 255, 90))
    p.rect(60, 28, 88, 66, c.main, r=10)  # handle
    p.rect(67.5, 36, 81, 55, _HOLE, r=6)
    p.rect(60, 58, 88, 66, c.shade, r=5)
    for y in (38, 50):
        p.circle(64, y, 1.7, _METAL)


@_motif("HND", "HW", shadow=32)
def _hand_tools(p: _Pen, c: _Colours, v: int) -> None:
    s = p.at(50, 49, 38)  # spanner
    s.rect(-3.8, -26, 3.8, 26, _METAL, r=2)
    s.rect(-1.3, -18, 1.3, 18, _STEEL, r=1)
    s.circle(0, -29, 10.5, _METAL)
    s.rect(-4.8, -42, 4.8, -28, _HOLE)
    s.circle(0, -28, 4.8, _HOLE)
    s.circle(0, 30, 9.5, _METAL)
    s.poly([(5.2 * math.cos(math.radians(a)), 30 + 5.2 * math.sin(math.radians(a))) for a in range(0, 360, 60)], _HOLE)
    h = p.at(50, 50, -38)  # hammer
    h.rect(-3.2, -28, 3.2, 30, _STEEL if v % 2 else _WOOD, r=2)
    h.rect(-5, 4, 5, 38, c.main, r=4.5)
    for y in (10, 16, 22):
        h.rect(-5, y, 5, y + 1.6, c.shade)
    h.rect(-12, -37, 8, -25, _STEEL, r=2)
    h.rect(-18, -36, -11, -26, (112, 118, 128), r=1.5)
    h.blob([(6, -37), (15, -37.5), (23, -34), (29, -26), (24, -27), (16, -30), (6, -25)], _STEEL, rounds=2)


@_motif("FIX", "HW", shadow=22)
def _screw(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(3, 0)
    p.rect(58, 42, 74, 47, c.shade, r=1.5)  # wall plug
    p.rect(60, 45, 72, 82, c.main, r=3)
    for y in range(51, 80, 5):
        p.line([(60.5, y), (71.5, y)], 1.3, c.shade)
    p.line([(66, 48), (66, 78)], 1.0, c.shade)
    p.poly([(29, 22), (55, 22), (47, 31), (37, 31)], _METAL)  # screw head
    p.ellipse(42, 22, 13, 2.4, (222, 226, 231))
    p.rect(40.5, 19.6, 43.5, 25, _STEEL)
    p.poly([(37, 30), (47, 30), (47, 68), (42, 82), (37, 68)], _METAL)
    for y in range(34, 78, 5):
        w = 5 if y < 68 else 5 * (82 - y) / 14
        p.line([(42 - w - 2, y + 2), (42 + w + 2, y - 2)], 2.0, _STEEL)
    p.rect(38.5, 31, 40, 66, (255, 255, 255, 90))


@_motif("STO", "HW", shadow=36)
def _toolbox(p: _Pen, c: _Colours, v: int) -> None:
    p.line([(36, 38), (38, 24), (62, 24), (64, 38)], 4.2, c.trim)  # handle
    p.rect(40, 21, 60, 27.5, c.trim, r=3)
    p.rect(16, 46, 84, 81, c.main, r=4)  # body
    p.rect(16, 66, 84, 70, c.shade)
    p.rect(14, 35, 86, 47, c.shade, r=4)  # lid
    p.rect(18, 36.5, 82, 39, (255, 255, 255, 60), r=1)
    for x in (24, 68):
        p.rect(x, 43, x + 8, 55, _METAL, r=1.5)  # latches
        p.rect(x + 2, 49, x + 6, 52, _STEEL)
    p.rect(40, 52, 60, 60, c.light, r=1.5)  # label


@_motif("MEA", "HW", shadow=34)
def _tape_measure(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(-4, 0)
    blade = (246, 206, 62)
    p.rect(56, 72, 94, 80, blade, r=0.8)  # tape
    for i, x in enumerate(range(58, 93, 2)):
        p.line([(x, 72), (x, 74.5 if i % 5 else 76.5)], 0.7, _DARK)
    p.rect(92.5, 68, 95.5, 80, _STEEL, r=0.8)  # hook
    p.rect(16, 30, 66, 81, c.main, r=15)  # case
    p.rect(16, 30, 28, 81, c.trim, r=12)
    p.rect(22, 30, 28, 81, c.trim)
    p.circle(44, 54, 15, c.shade)
    p.circle(44, 54, 9, c.light)
    p.circle(44, 54, 3.2, c.trim)
    p.rect(38, 26, 54, 32, c.trim, r=2.5)  # lock button
    p.rect(58, 70, 66, 81, c.trim, r=2)  # mouth


@_motif("SAF", "HW", shadow=36)
def _hard_hat(p: _Pen, c: _Colours, v: int) -> None:
    p.ellipse(50, 70, 37, 8, c.shade)  # brim
    p.ellipse(50, 68, 29, 36, c.main, 180, 360)  # dome
    p.ellipse(50, 68, 30, 3.5, c.shade, 0, 180)
    p.blob([(46.5, 33), (53.5, 33), (54.5, 67), (45.5, 67)], c.light, rounds=2)  # ridge
    p.ellipse(37, 48, 5, 11, (255, 255, 255, 70))
    p.rect(20, 64, 80, 68, c.shade)
    p.circle(66, 56, 4.5, _WHITE)
    p.circle(66, 56, 2.6, c.main)


# Home & Kitchen


@_motif("CKW", "HM", shadow=34)
def _cookware(p: _Pen, c: _Colours, v: int) -> None:
    if v % 2:  # a casserole with its lid
        p.rect(13, 52, 27, 58, c.trim, r=3)
        p.rect(73, 52, 87, 58, c.trim, r=3)
        p.rect(22, 44, 78, 80, c.main, r=6)
        p.rect(22, 70, 78, 80, c.shade, r=6)
        p.rect(22, 70, 78, 74, c.shade)
        p.rect(26, 50, 31, 70, (255, 255, 255, 60), r=2)
        p.ellipse(50, 45, 30, 11, c.shade, 180, 360)  # lid
        p.rect(18, 43, 82, 47, c.shade, r=2)
        p.rect(44, 28, 56, 36, c.trim, r=3)
        p.rect(48, 34, 52, 37, c.trim)
        return
    p.line([(64, 58), (93, 48)], 6.5, c.trim)  # frying pan: handle
    p.circle(89, 49.4, 1.6, _HOLE)
    p.ellipse(40, 71, 23, 8, c.shade)
    p.poly([(11, 58), (69, 58), (63, 71), (17, 71)], c.main)
    p.ellipse(40, 58, 29, 11, c.main)
    p.ellipse(40, 58, 26, 9, _DARK)  # non-stick
    p.ellipse(34, 56, 12, 3, (255, 255, 255, 35))


@_motif("KNF", "HM", shadow=34)
def _knife(p: _Pen, c: _Colours, v: int) -> None:
    k = p.at(50, 52, 32, 1.05)
    steel, edge = ((92, 96, 106), (150, 156, 166)) if v in (3, 7) else (_METAL, (224, 228, 234))  # coated or bare
    if v in (1, 2, 5, 6):  # a bread knife: straight, round-tipped, serrated
        k.blob([(8, -7), (-40, -7), (-46, -3), (-46, 3), (-40, 7), (8, 7)], steel, rounds=2)
        k.rect(-44, 3.5, 8, 7, edge)
        for x in range(-40, 7, 3):
            k.circle(x, 7.6, 1.2, _HOLE)
    else:  # a chef's knife
        k.blob([(8, -8), (-26, -8), (-36, -5.5), (-45, 1), (-38, 5), (-26, 8.5), (8, 9.5)], steel, rounds=2)
        k.blob([(8, 5.5), (-26, 4.8), (-38, 2.5), (-44, 1.5), (-38, 5), (-26, 8.5), (8, 9.5)], edge, 2)
    k.rect(6, -8.5, 12, 9, _STEEL, r=1.5)  # bolster
    k.rect(11, -7, 48, 7, c.trim if v % 2 else c.main, r=6.5)  # handle
    for x in (20, 30, 40):
        k.circle(x, 0, 1.8, _METAL)
    k.rect(12, -7, 46, -4.2, (255, 255, 255, 50), r=1.5)


@_motif("STR", "HM", shadow=36)
def _storage_box(p: _Pen, c: _Colours, v: int) -> None:
    p.poly([(20, 44), (80, 44), (76, 81), (24, 81)], _mix(c.light, _WHITE, 0.3))  # body
    for x in (34, 50, 66):
        p.line([(x, 48), (x + (x - 50) * 0.06, 77)], 1.6, c.light)
    p.poly([(21, 44), (28, 44), (30, 81), (24, 81)], _alpha(c.main, 60))
    p.rect(17, 35, 83, 46, c.main, r=3.5)  # lid
    p.rect(24, 31, 76, 37, c.main, r=3)
    p.rect(26, 32.5, 60, 34, (255, 255, 255, 70), r=0.7)
    for x in (18, 74):
        p.rect(x, 43, x + 8, 52, c.shade, r=2)  # clips
    p.rect(42, 54, 58, 60, c.shade, r=3)  # hand hole


@_motif("CLN", "HM", shadow=18)
def _spray_bottle(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(6, 0)
    for x, y, r in ((20, 24, 2.4), (14, 19, 1.8), (13, 28, 2.0), (8, 22, 1.5), (18, 32, 1.3), (9, 31, 1.2)):
        p.circle(x, y, r, (120, 190, 235, 150))  # mist
    p.rect(34, 46, 66, 82, c.main, r=8)  # bottle
    p.poly([(39, 47), (61, 47), (56, 37), (44, 37)], c.main)
    p.rect(36, 50, 41, 78, (255, 255, 255, 70), r=2)
    p.rect(40, 56, 60, 73, _WHITE, r=2)  # label
    for y in (61, 65, 69):
        p.line([(44, y), (56, y)], 1.1, c.light)
    p.rect(43, 32, 57, 38, c.trim, r=1.5)  # collar
    p.blob([(30, 18), (58, 16), (62, 22), (58, 33), (40, 33), (38, 24), (30, 24)], _WHITE, rounds=2)  # head
    p.rect(24, 18.5, 32, 23.5, c.trim, r=1.5)  # nozzle
    p.blob([(40, 27), (45, 29), (40, 42), (36, 40)], c.trim, rounds=2)  # trigger


@_motif("BED", "HM", shadow=34)
def _bedding(p: _Pen, c: _Colours, v: int) -> None:
    tints = (c.main, c.light, _mix(c.main, c.shade, 0.5))
    for (y0, y1), col in zip(((68, 81), (55, 68), (42, 55)), tints, strict=True):
        p.rect(22, y0, 78, y1, col, r=6)
        p.rect(22, y0, 32, y1, _mix(col, _DARK, 0.12), r=6)
        p.rect(27, y0, 32, y1, _mix(col, _DARK, 0.12))
        p.rect(33, y1 - 4.5, 78, y1 - 3, _mix(col, _WHITE, 0.45))
    # a pillow on top: a puffy square with pinched corners
    pts = [(20, 14), (50, 19), (80, 14), (75, 29), (80, 44), (50, 40), (20, 44), (25, 29)]
    p.blob(pts, _mix(c.light, _WHITE, 0.55), rounds=3)
    p.blob([(28, 34), (50, 37), (72, 34), (70, 39), (50, 39), (30, 39)], _alpha(c.shade, 40), rounds=3)


@_motif("LGT", "HM", shadow=22)
def _lighting(p: _Pen, c: _Colours, v: int) -> None:
    if v % 2:  # a table lamp
        p.line([(50, 44), (50, 76)], 3, _STEEL)
        p.ellipse(50, 78, 16, 4, c.shade)
        p.rect(34, 77, 66, 81.5, c.shade, r=2)
        p.ellipse(50, 52, 24, 3.5, _GLOW)
        p.poly([(36, 14), (64, 14), (76, 52), (24, 52)], c.main)  # shade
        p.ellipse(50, 14, 14, 1.6, c.shade)
        p.poly([(38, 16), (44, 16), (36, 50), (29, 50)], (255, 255, 255, 45))
        p.poly([(25.2, 48.5), (74.8, 48.5), (76, 52), (24, 52)], c.shade)
        return
    p.circle(50, 36, 29, _alpha(c.main, 45))  # a light bulb glowing
    p.circle(50, 36, 24, _alpha(_GLOW, 110))
    p.circle(50, 36, 19, (255, 250, 228))
    p.poly([(36, 44), (64, 44), (58, 59), (42, 59)], (255, 250, 228))
    p.line([(45, 58), (45, 43), (47.5, 36), (50, 42), (52.5, 36), (55, 43), (55, 58)], 1.3, c.shade)
    p.circle(43, 30, 4, (255, 255, 255, 200))
    p.rect(41, 58, 59, 73, _METAL, r=2)  # base
    for y in (61, 65, 69):
        p.line([(41, y), (59, y + 1.5)], 1.6, _STEEL)
    p.ellipse(50, 73, 6, 6, c.trim, 0, 180)
    p.circle(50, 79, 2.2, c.trim)


@_motif("DEC", "HM", shadow=20)
def _vase(p: _Pen, c: _Colours, v: int) -> None:
    stem = (96, 80, 62)
    leaf = (112, 150, 92) if v % 2 else c.light
    for pts in (((50, 42), (44, 26), (34, 12)), ((50, 42), (51, 24), (55, 8)), ((50, 42), (58, 28), (70, 18))):
        p.curve(pts, 1.4, stem)
    for x, y, a in ((38, 18, -60), (44, 26, 40), (36, 12, 30), (52, 16, -30), (54, 10, 60), (55, 26, 45), (64, 22, -40),
                    (69, 18, 30), (48, 32, -20)):  # fmt: skip
        p.at(x, y, a).blob([(0, -4), (2.2, 0), (0, 4), (-2.2, 0)], leaf, rounds=2)
    profile = [(38, 6.5), (41, 5.5), (46, 7), (54, 15.5), (63, 18), (72, 15), (79, 10.5), (81.5, 10)]
    right = [(50 + w, y) for y, w in profile]
    left = [(50 - w, y) for y, w in reversed(profile)]
    p.blob([*right, *left], c.main, rounds=2)
    p.blob([(50 - 14, 55), (50 - 9, 52), (50 - 10, 70), (50 - 14, 68)], (255, 255, 255, 55), rounds=2)
    p.line([(36, 62), (64, 62)], 1.6, c.shade)
    p.line([(35, 67), (65, 67)], 1.6, c.shade)
    p.ellipse(50, 38.5, 6.5, 1.6, c.shade)


# Garden & Outdoor


@_motif("MOW", "GD", shadow=36)
def _mower(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(-3, 0)
    p.line([(66, 58), (86, 18)], 3.2, c.trim)  # handle
    p.rect(80, 14, 92, 19, c.trim, r=2.5)
    p.line([(78, 34), (84, 32)], 2.4, c.trim)
    p.rect(58, 42, 84, 68, c.shade, r=6)  # grass box
    p.rect(62, 46, 80, 50, _alpha(_WHITE, 60), r=1.5)
    p.rect(14, 54, 72, 74, c.main, r=8)  # deck
    p.rect(26, 42, 52, 58, c.trim, r=7)  # motor
    p.rect(30, 45, 46, 47.5, (255, 255, 255, 50), r=1)
    p.rect(14, 66, 72, 70, c.shade)
    for x, r in ((26, 8), (64, 9.5)):
        p.circle(x, _FLOOR - r, r, _DARK)
        p.circle(x, _FLOOR - r, r * 0.42, _METAL)


@_motif("WAT", "GD", shadow=30)
def _watering_can(p: _Pen, c: _Colours, v: int) -> None:
    p = p.at(4, 0)
    p.poly([(36, 70), (36, 60), (14, 32), (10, 35)], c.main)  # spout
    p.at(11, 32, -50).rect(-7.5, -2.8, 7.5, 2.8, c.shade, r=2.5)  # rose
    p.arc(72, 58, 9, 14, 270, 450, 4.2, c.shade)  # back handle
    p.arc(54, 44, 16, 16, 180, 360, 4.2, c.shade)  # top handle
    p.rect(32, 42, 74, 81, c.main, r=6)  # body
    p.rect(32, 50, 74, 55, c.shade)
    p.rect(36, 57, 41, 77, (255, 255, 255, 60), r=2)
    p.ellipse(45, 42, 9, 2.5, c.shade)
    for x, y in ((8, 40), (5, 46), (10, 48), (3, 41)):
        p.circle(x, y, 1.3, (120, 190, 235, 180))


@_motif("GHT", "GD", shadow=30)
def _garden_tools(p: _Pen, c: _Colours, v: int) -> None:
    f = p.at(50, 50, 28)  # hand fork
    for x in (-7, 0, 7):
        f.line([(x, -44), (x, -16)], 3, _METAL)
    f.rect(-9.5, -20, 9.5, -13, _METAL, r=3.5)
    f.rect(-1.6, -14, 1.6, 4, _STEEL)
    f.rect(-5, 2, 5, 36, _WOOD if v % 2 else c.trim, r=5)
    t = p.at(50, 50, -28)  # trowel
    t.blob([(0, -47), (10, -32), (10.5, -16), (4, -9), (-4, -9), (-10.5, -16), (-10, -32)], _METAL, rounds=2)
    t.line([(0, -42), (0, -12)], 1.2, _STEEL)
    t.rect(-1.6, -10, 1.6, 4, _STEEL)
    t.rect(-5.5, 2, 5.5, 37, c.main, r=5.5)
    t.circle(0, 32, 1.6, _HOLE)


@_motif("BBQ", "GD", shadow=30)
def _barbecue(p: _Pen, c: _Colours, v: int) -> None:
    for pts in (((36, 62), (26, 81)), ((64, 62), (74, 78)), ((50, 66), (50, 81))):
        p.line(pts, 2.8, c.trim)
    p.circle(74, 77.5, 4, _DARK)
    p.circle(74, 77.5, 1.6, _METAL)
    p.ellipse(50, 72, 14, 2.4, _STEEL)
    p.ellipse(50, 51, 25, 19, c.main, 0, 180)  # bowl
    p.ellipse(50, 49, 25, 20, c.main, 180, 360)  # lid
    p.ellipse(41, 38, 8, 4, (255, 255, 255, 60))
    p.rect(24, 48.5, 76, 51.5, _METAL, r=1.2)
    p.line([(45, 29.5), (45, 26), (55, 26), (55, 29.5)], 1.6, _STEEL)
    p.rect(43, 23.5, 57, 27, c.trim, r=1.7)
    p.ellipse(62, 37, 3.5, 1.5, _STEEL)
    p.rect(75, 54, 81, 57, c.trim, r=1.5)
    for x in (40, 50, 60):
        p.curve([(x, 21), (x - 2.5, 17), (x + 2, 13), (x - 1, 9)], 1.6, _alpha(_STEEL, 110))


@_motif("FUR", "GD", shadow=34)
def _garden_chair(p: _Pen, c: _Colours, v: int) -> None:
    wood = _WOOD if v % 2 == 0 else (150, 154, 158)
    dark = _mix(wood, _DARK, 0.3)
    p.line([(34, 44), (31, 81)], 3.4, dark)  # back legs
    p.line([(66, 44), (69, 81)], 3.4, dark)
    for x in (37, 44, 51, 58):
        p.rect(x - 0.5, 14, x + 5.5, 50, wood, r=1.5)  # back slats
    p.rect(32, 18, 68, 22.5, dark, r=1.5)
    p.rect(35, 29, 65, 49, c.main, r=5)  # back cushion
    p.poly([(26, 54), (74, 54), (79, 62), (21, 62)], wood)  # seat
    p.line([(22, 62), (20, 81)], 3.8, wood)  # front legs
    p.line([(78, 62), (80, 81)], 3.8, wood)
    p.blob([(28, 50), (72, 50), (77, 58), (23, 58)], c.shade, rounds=2)  # seat cushion
    p.blob([(28, 49), (72, 49), (75, 54), (25, 54)], c.main, rounds=2)
    p.rect(16, 40, 34, 44.5, dark, r=2)  # arms
    p.rect(66, 40, 84, 44.5, dark, r=2)
    p.line([(20, 44), (21, 62)], 2.4, dark)
    p.line([(80, 44), (79, 62)], 2.4, dark)


@_motif("PLT", "GD", shadow=22)
def _potted_plant(p: _Pen, c: _Colours, v: int) -> None:
    pots = ((196, 102, 64), (238, 234, 226), (70, 74, 82), (178, 196, 214))
    pot = pots[v % 4]
    leaves = ((-55, 34), (-25, 40), (5, 44), (32, 38), (60, 32), (-78, 26), (80, 24))
    for i, (a, length) in enumerate(leaves):
        col = c.main if i % 2 else c.shade
        p.at(50, 57, a).blob([(0, 0), (length * 0.2, -length * 0.55), (0, -length), (-length * 0.2, -length * 0.55)],
                             col, rounds=3)  # fmt: skip
        p.at(50, 57, a).line([(0, -2), (0, -length * 0.8)], 0.9, _mix(col, _WHITE, 0.35))
    if v in (1, 4, 6):
        for x, y in ((36, 24), (62, 20)):
            for k in range(5):
                a = math.radians(k * 72)
                p.circle(x + 3.2 * math.cos(a), y + 3.2 * math.sin(a), 2.6, c.pop)
            p.circle(x, y, 2, (250, 210, 80))
    p.poly([(31, 60), (69, 60), (64, 82), (36, 82)], pot)  # pot
    p.rect(28, 55, 72, 62, _mix(pot, _WHITE, 0.15), r=1.5)
    p.rect(28, 60, 72, 62, _mix(pot, _DARK, 0.15))


@_motif("PWS", "GD", shadow=30)
def _pressure_washer(p: _Pen, c: _Colours, v: int) -> None:
    g = p.at(58, 52, -12)  # a spray gun, nose down to the left
    g.poly([(-33, 0), (-46, -9), (-46, 10)], (140, 200, 240, 110))  # spray
    for y in (-9, 1, 10):
        g.line([(-33, 0), (-46, y)], 0.8, (110, 180, 230, 210))
    for x, y in ((-48, -6), (-50, 3), (-48, 9), (-52, -1)):
        g.circle(x, y, 1.2, (120, 190, 235, 200))
    g.curve([(13, 30), (15, 36), (23, 37), (28, 31), (27, 23)], 2.6, c.trim)  # hose
    g.rect(-28, -2.3, -6, 2.3, c.trim, r=1.5)  # lance
    g.rect(-33, -4, -26, 4, c.shade, r=1.5)  # nozzle
    g.rect(-10, -7, 24, 7, c.main, r=6)  # body
    g.poly([(6, 5), (21, 5), (19, 31), (8, 31)], c.main)  # grip
    g.poly([(10, 9), (19, 9), (17.5, 30), (10, 30)], c.trim)
    g.blob([(-1, 7), (4, 7), (3, 20), (-1, 19)], c.trim, rounds=2)  # trigger
    g.rect(-6, -4.5, 16, -2.5, (255, 255, 255, 60), r=1)


# Electronics


@_motif("AUD", "EL", shadow=30)
def _headphones(p: _Pen, c: _Colours, v: int) -> None:
    p.arc(50, 52, 28, 32, 180, 360, 4.6, c.trim)  # headband
    p.arc(50, 52, 28, 32, 215, 325, 7.5, c.shade)
    for x in (22, 78):
        p.rect(x - 2.2, 44, x + 2.2, 54, _METAL, r=1)
    for x0, x1, cush in ((14, 31, (31, 37)), (69, 86, (63, 69))):
        p.rect(cush[0] - 2, 50, cush[1] + 2, 80, _DARK, r=5)  # cushion
        p.rect(x0, 48, x1, 82, c.main, r=8)  # cup
        p.rect(x0 + 3, 54, x0 + 6, 74, (255, 255, 255, 60), r=1.5)


@_motif("CHG", "EL", shadow=26)
def _charger(p: _Pen, c: _Colours, v: int) -> None:
    body = _WHITE if v % 3 == 0 else c.main
    for x in (39, 53):
        p.rect(x - 2, 12, x + 2, 26, _METAL, r=2)  # pins
    p.curve([(46, 58), (46, 74), (54, 81), (68, 80), (76, 70), (76, 58)], 3.2, c.trim)  # cable
    p.rect(72, 42, 80, 58, c.trim, r=2)  # plug
    p.rect(73.5, 35, 78.5, 43, _METAL, r=1.5)
    p.rect(28, 24, 64, 60, body, r=7)  # charger
    p.rect(28, 52, 64, 60, _mix(body, _DARK, 0.1), r=7)
    p.rect(28, 52, 64, 55, _mix(body, _DARK, 0.1))
    p.rect(31, 27, 36, 50, (255, 255, 255, 70), r=2)
    p.rect(42, 55.5, 50, 58.5, _DARK, r=1.4)
    p.circle(57, 33, 1.6, c.pop if body == _WHITE else _WHITE)
    if v % 2:
        p.wifi(46, 46, 7, _mix(body, _DARK, 0.25), width=1.3)


@_motif("NET", "EL", shadow=36)
def _router(p: _Pen, c: _Colours, v: int) -> None:
    for x, a in ((24, -10), (76, 10)):
        p.at(x, 58, a).rect(-2.3, -38, 2.3, 0, c.trim, r=2.3)  # antennas
    p.wifi(50, 46, 18, c.main, width=3.2)
    p.poly([(20, 56), (80, 56), (85, 63), (15, 63)], c.light)  # top
    p.rect(15, 62, 85, 76, c.main, r=3)
    p.rect(15, 71, 85, 76, c.shade, r=3)
    for i, x in enumerate(range(26, 58, 6)):
        p.circle(x, 67, 1.4, (120, 240, 150) if i % 3 else _WHITE)
    for x in (22, 74):
        p.rect(x, 75, x + 6, 80, _DARK, r=1)


@_motif("SMH", "EL", shadow=32)
def _smart_home(p: _Pen, c: _Colours, v: int) -> None:
    p.rect(62, 22, 69, 38, c.trim)  # chimney
    p.blob([(16, 48), (50, 18), (84, 48)], c.shade, rounds=1)  # roof
    p.rect(24, 44, 76, 81, c.main)  # walls
    p.poly([(24, 44), (76, 44), (76, 48), (24, 48)], _alpha(_DARK, 40))
    p.wifi(50, 72, 21, _WHITE, width=3.6)


@_motif("TVV", "EL", shadow=30)
def _tv(p: _Pen, c: _Colours, v: int) -> None:
    p.poly([(45, 68), (55, 68), (58, 79), (42, 79)], _DARK)  # stand
    p.rect(30, 78, 70, 82, _DARK, r=2)
    p.rect(8, 20, 92, 70, (30, 32, 38), r=2.5)  # bezel
    x0, y0, x1, y1 = 10.5, 22.5, 89.5, 67.5
    p.rect(x0, y0, x1, y1, c.light)  # a picture on the screen
    p.circle(72, 34, 5, (255, 236, 170))
    p.poly([(x0, 56), (28, 44), (44, 54), (64, 38), (x1, 52), (x1, y1), (x0, y1)], c.main)
    p.poly([(x0, 62), (34, 54), (58, 60), (x1, 56), (x1, y1), (x0, y1)], c.shade)
    p.poly([(56, y0), (72, y0), (44, y1), (28, y1)], (255, 255, 255, 35))
    p.circle(86, 69, 0.8, (120, 240, 150))


@_motif("PCA", "EL", shadow=22)
def _mouse(p: _Pen, c: _Colours, v: int) -> None:
    if v % 2 == 0:
        p.curve([(50, 24), (50, 12), (60, 6), (74, 10), (84, 6)], 2.2, c.trim)  # cable
    body = [(33, 40), (38, 26), (50, 22), (62, 26), (67, 40), (69, 62), (62, 80), (50, 83), (38, 80), (31, 62)]
    p.blob(body, c.main, rounds=3)
    p.blob([(33, 62), (67, 62), (62, 80), (50, 83), (38, 80)], c.shade, rounds=3)
    p.line([(50, 23), (50, 46)], 1.1, c.shade)
    p.curve([(32.5, 46), (50, 49), (67.5, 46)], 1.1, c.shade)
    p.rect(47.3, 28, 52.7, 39, c.trim, r=2.7)  # wheel
    p.blob([(37, 32), (42, 28), (40, 44), (36, 50)], (255, 255, 255, 70), rounds=2)


@_motif("BAT", "EL", shadow=28)
def _batteries(p: _Pen, c: _Colours, v: int) -> None:
    for x in (38, 62):
        p.rect(x - 3.5, 20, x + 3.5, 26, _METAL, r=1.2)  # terminal
        p.rect(x - 11, 24, x + 11, 82, _DARK, r=3)
        p.rect(x - 11, 24, x + 11, 48, c.main, r=3)
        p.rect(x - 11, 44, x + 11, 48, c.main)
        p.rect(x - 11, 24, x + 11, 27, _METAL, r=1.5)
        p.rect(x - 11, 79, x + 11, 82, _STEEL, r=1.5)
        p.line([(x - 4, 36), (x + 4, 36)], 2, _WHITE)
        p.line([(x, 32), (x, 40)], 2, _WHITE)
        p.rect(x - 8, 28, x - 5, 77, (255, 255, 255, 55), r=1.5)
        p.poly([(x + 2, 54), (x - 3, 63), (x + 0.5, 63), (x - 2, 71), (x + 4, 61), (x + 0.5, 61), (x + 3, 54)], c.main)


# Office Supplies


@_motif("PAP", "OF", shadow=28)
def _notebook(p: _Pen, c: _Colours, v: int) -> None:
    if v % 2:  # a spiral notepad
        p.rect(26, 18, 76, 82, _WHITE, r=2)
        p.rect(26, 18, 76, 28, c.main, r=2)
        for y in range(36, 80, 6):
            p.line([(30, y), (72, y)], 0.8, _mix(c.light, _WHITE, 0.2))
        p.line([(36, 30), (36, 80)], 0.8, (232, 120, 120))
        for x in range(31, 74, 6):
            p.rect(x, 14, x + 2.4, 23, _STEEL, r=1.2)
        return
    p.rect(30, 20, 76, 82, (240, 236, 224), r=3)  # pages
    for y in range(24, 80, 3):
        p.line([(72, y), (75.5, y)], 0.5, (210, 204, 190))
    p.rect(24, 16, 71, 80, c.main, r=3)  # cover
    p.rect(24, 16, 31, 80, c.shade, r=3)
    p.rect(28, 16, 31, 80, c.shade)
    p.rect(38, 28, 62, 40, c.light, r=1.5)  # label
    p.line([(42, 33), (58, 33)], 1, c.shade)
    p.line([(42, 36), (54, 36)], 1, c.shade)
    p.rect(64, 16, 67, 80, c.trim)  # elastic band


@_motif("WRT", "OF", shadow=34)
def _pens(p: _Pen, c: _Colours, v: int) -> None:
    q = p.at(47, 43, -35)  # a pen
    q.poly([(-44, 0), (-35, -2.8), (-35, 2.8)], _METAL)
    q.rect(-36, -4.8, -18, 4.8, c.trim, r=2)
    q.rect(-20, -5.2, 36, 5.2, c.main, r=4.8)
    q.rect(33, -4.3, 42, 4.3, c.shade, r=3)
    q.rect(41, -2.4, 45, 2.4, _METAL, r=1)
    q.rect(12, -8, 36, -5, _METAL, r=1.3)
    q.rect(-16, -3.8, 30, -1.8, (255, 255, 255, 70), r=1)
    q = p.at(55, 60, -35)  # a pencil
    wood = (232, 196, 150)
    body = c.pop if v % 2 else (246, 200, 60)
    q.poly([(-20, -5), (-20, 5), (-34, 0)], wood)
    q.poly([(-30.5, -1.3), (-30.5, 1.3), (-35, 0)], _DARK)
    q.rect(-20, -5, 34, 5, body)
    q.rect(-20, -1.5, 34, 1.5, _mix(body, _WHITE, 0.3))
    q.rect(33, -5.5, 40, 5.5, _METAL)
    q.rect(39.5, -5, 47, 5, (240, 150, 160), r=2.5)


@_motif("FIL", "OF", shadow=34)
def _folder(p: _Pen, c: _Colours, v: int) -> None:
    p.rect(18, 22, 44, 34, c.shade, r=3)  # tab
    p.rect(18, 28, 82, 81, c.shade, r=3)  # back
    p.at(50, 50, -4).rect(-26, -24, 24, 22, _mix(_WHITE, _DARK, 0.06), r=1)  # sheets
    p.rect(24, 24, 76, 70, _WHITE, r=1)
    for y in range(31, 60, 5):
        p.line([(29, y), (71 if y % 2 else 62, y)], 1.0, (200, 204, 212))
    p.poly([(16, 42), (84, 42), (82, 81), (18, 81)], c.main)  # front
    p.rect(20, 44, 80, 47, (255, 255, 255, 60), r=1)
    p.rect(56, 66, 76, 75, c.light, r=1.5)


@_motif("OFF", "OF", shadow=30)
def _office_chair(p: _Pen, c: _Colours, v: int) -> None:
    hub = (50, 72)
    for x, y in ((20, 77), (34, 80), (66, 80), (80, 77)):
        p.line([hub, (x, y - 2)], 3.2, _DARK)  # star base
        p.circle(x, y - 1, 3, _DARK)
    p.rect(47.5, 54, 52.5, 73, _METAL, r=1.2)  # gas lift
    p.rect(46, 44, 54, 56, _DARK, r=1.5)
    p.rect(30, 10, 70, 47, c.main, r=11)  # back
    p.rect(34, 14, 66, 43, _mix(c.main, _DARK, 0.12), r=8)
    for y in range(19, 41, 4):
        p.line([(37, y), (63, y)], 0.8, _alpha(c.light, 120))
    p.line([(24, 58), (22, 46), (30, 44)], 2.8, _DARK)  # arms
    p.line([(76, 58), (78, 46), (70, 44)], 2.8, _DARK)
    p.rect(17, 42, 31, 46, _DARK, r=2)
    p.rect(69, 42, 83, 46, _DARK, r=2)
    p.rect(24, 50, 76, 61, c.shade, r=5.5)  # seat
    p.rect(24, 50, 76, 56, c.main, r=5)


@_motif("PRN", "OF", shadow=36)
def _printer(p: _Pen, c: _Colours, v: int) -> None:
    p.poly([(32, 12), (66, 12), (70, 36), (30, 36)], _WHITE)  # paper in
    p.rect(24, 30, 76, 38, c.shade, r=3)
    p.rect(14, 36, 86, 62, _mix(c.light, _WHITE, 0.4), r=5)  # body
    p.rect(14, 56, 86, 74, c.main, r=4)
    p.rect(24, 60, 76, 63, _DARK, r=1.5)  # slot
    p.poly([(28, 61.5), (72, 61.5), (75, 78), (25, 78)], _WHITE)  # paper out
    for y in (66, 69, 72):
        p.line([(31, y), (62 if y != 69 else 69, y)], 0.9, (190, 194, 204))
    p.rect(60, 41, 80, 50, _DARK, r=2)  # panel
    p.circle(64, 45.5, 1.4, (120, 240, 150))
    p.rect(68, 44, 77, 47, c.light, r=1)
    p.rect(16, 74, 22, 78, _DARK)
    p.rect(78, 74, 84, 78, _DARK)


@_motif("DSK", "OF", shadow=32)
def _desk_lamp(p: _Pen, c: _Colours, v: int) -> None:
    mouth = ((57, 47), (79, 34))  # where the shade opens, facing down and right
    p.poly([*mouth, (92, 81), (44, 81)], _alpha(_GLOW, 70))  # light falling on the desk
    p.rect(14, 76, 44, 82, c.shade, r=3)  # base
    p.ellipse(29, 76, 12, 3.5, c.main)
    p.line([(29, 75), (22, 46)], 3.4, c.main)  # arms
    p.line([(22, 46), (52, 25)], 3.4, c.main)
    p.line([(25, 74), (19, 48)], 1, _STEEL)
    p.poly([(51, 24), (58, 19), *reversed(mouth)], c.main)  # shade
    p.poly([(52, 27), (55, 25), (59, 44), (57, 47)], (255, 255, 255, 50))
    p.at(68, 40.5, -31).ellipse(0, 0, 12.6, 2.6, _GLOW)
    for x, y in ((29, 75), (22, 46), (52, 25)):
        p.circle(x, y, 3.6, c.trim)


@_motif("PCK", "OF", shadow=36)
def _parcel(p: _Pen, c: _Colours, v: int) -> None:
    kraft = ((200, 156, 104), (214, 176, 128), (190, 146, 96), (222, 190, 150))[v % 4]
    top, left, right = _mix(kraft, _WHITE, 0.18), kraft, _mix(kraft, _DARK, 0.18)
    p.poly([(50, 22), (84, 36), (50, 50), (16, 36)], top)
    p.poly([(16, 36), (50, 50), (50, 82), (16, 68)], left)
    p.poly([(50, 50), (84, 36), (84, 68), (50, 82)], right)
    tape = _alpha(c.main, 230)
    p.poly([(31, 28), (36, 26), (70, 40), (65, 42)], tape)  # tape on the seam
    p.poly([(65, 42), (70, 40), (70, 60), (65, 62)], tape)
    p.poly([(22, 50), (40, 57.5), (40, 68), (22, 60.5)], _WHITE)  # label
    for k in range(3):
        p.line([(25, 53.5 + 3 * k), (37, 58.5 + 3 * k)], 0.9, (170, 170, 176))
    p.line([(16, 36), (50, 50), (84, 36)], 0.7, _alpha(_WHITE, 120))


def _unknown(p: _Pen, c: _Colours, code: str) -> None:
    """A plain carton with the code on it, for subcategories without a motif of their own."""
    p.rect(20, 26, 80, 82, c.main, r=5)
    p.rect(20, 26, 80, 36, c.shade, r=5)
    p.rect(20, 32, 80, 36, c.shade)
    p.rect(45, 26, 55, 40, c.light)
    p.text(50, 60, code[:6] or "?", 16, _WHITE)


# Drawing


def _backdrop(size: int, top: _Colour, bottom: _Colour) -> Image.Image:
    """A top-to-bottom gradient, square."""
    column = b"".join(bytes(_mix(top, bottom, (y + 0.5) / size)) for y in range(size))
    return Image.frombytes("RGB", (1, size), column).resize((size, size), Image.Resampling.NEAREST)


def _shadow(canvas: _Canvas, cx: float, cy: float, rx: float, ry: float, colour: _Colour) -> None:
    """A soft floor shadow: an ellipse drawn small, blurred, scaled up and used as a mask."""
    mask = Image.new("L", (96, 32))
    pen = ImageDraw.Draw(mask)
    pen.ellipse((8, 9, 88, 23), fill=80)
    pen.ellipse((20, 12, 76, 20), fill=130)
    mask = mask.filter(ImageFilter.GaussianBlur(3))
    box = (round(cx - rx * 1.2), round(cy - ry * 2.3), round(cx + rx * 1.2), round(cy + ry * 2.3))
    canvas.image.paste(colour, box, mask.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BILINEAR))
    canvas._cover([box[:2], box[2:]], 0)


def _hue(code: str) -> float:
    """A stable hue for a code without a department (no `hash()`: that changes between runs)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(code)) * 0.618034 % 1.0


def draw(sub_code: str, variant: int, size: int = 640) -> Image.Image:
    """A square RGB picture of `size` px of a product of the subcategory `sub_code` (like "DRL").

    `variant` picks one of `VARIANTS` looks (taken modulo `VARIANTS`). An unknown code gets a carton
    with the code on it. The same arguments always give the same pixels.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16 px, not {size}")
    code = sub_code.strip().upper()
    motif = _MOTIFS.get(code)
    variant %= VARIANTS
    hue, saturation, brightness = _PALETTES[motif.department] if motif else (_hue(code), 0.6, 1.0)
    colours = _colours(hue, saturation, brightness, variant)
    bg_shift, bg_sat = _BACKDROP[variant]
    top = _hsv(hue + bg_shift, bg_sat, 0.985)
    bottom = _hsv(hue + bg_shift, bg_sat + 0.05, 0.89)

    factor = 4 if size <= 320 else 2  # supersampling
    big = size * factor
    canvas = _Canvas(_backdrop(big, top, bottom), top, bottom)
    unit = big / 100
    angle, scale, shift = _POSE[variant]

    half = (motif.shadow if motif else 32) * scale
    _shadow(
        canvas, (50 + shift) * unit, (_FLOOR + 0.6) * unit, half * unit, 3.2 * scale * unit, _mix(bottom, _DARK, 0.6)
    )

    # Turn by the tilt about the centre (50, 50), then scale about the floor point (50, 82) so the product
    # keeps standing: p -> origin + scale * turn(p), with the origin below.
    cos, sin = math.cos(math.radians(angle)) * scale, math.sin(math.radians(angle)) * scale
    origin = (50 + shift - 50 * (cos - sin), _FLOOR + scale * (50 - _FLOOR) - 50 * (sin + cos))
    pen = _Pen(canvas, (unit, 0, 0, 0, unit, 0)).at(*origin, angle, scale)
    if motif:
        motif.paint(pen, colours, variant)
    else:
        _unknown(pen, colours, code)

    image = _backdrop(size, top, bottom)
    x0, y0, x1, y1 = canvas.box
    if x1 > x0:  # resample only the covered region, with a margin for the LANCZOS kernel
        x0, y0 = (max(0, math.floor(q / factor) - 2) for q in (x0, y0))
        x1, y1 = (min(size, math.ceil(q / factor) + 2) for q in (x1, y1))
        region = canvas.image.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS,
                                     box=(x0 * factor, y0 * factor, x1 * factor, y1 * factor))  # fmt: skip
        image.paste(region, (x0, y0))
    return image


DEPARTMENT_OF: Mapping[str, str] = MappingProxyType({code: motif.department for code, motif in _MOTIFS.items()})
"""The subcategory codes that have a motif, each with its department's code."""
