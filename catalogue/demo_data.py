"""A demo catalogue that reads like a real shop, generated from small word lists.

Everything is drawn from one `random.Random(seed)`, so the same seed gives the
same category tree, ids, SKUs, names, prices and stock. Versions are not set
here: the database triggers assign them (see `syncapi.versioning`).
"""

import hashlib
import io
import math
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catalogue import demo_images
from catalogue.demo_images import VARIANTS
from catalogue.images import Renditions, renditions_make
from catalogue.models import Category, Product
from syncapi.versioning import lock_versions

BATCH_SIZE = 5000
INACTIVE_SHARE = 0.02  # deactivated products, so the demo has some
OUT_OF_STOCK_SHARE = 0.06


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


@dataclass(frozen=True)
class Line:
    """A product line: its noun, the adjectives and variants it takes, its price range (EUR)."""

    adjectives: tuple[str, ...]
    noun: str
    variants: tuple[str, ...]
    price_min: float
    price_max: float


@dataclass(frozen=True)
class Sub:
    """A subcategory: its SKU code, name, brands and product lines."""

    code: str
    name: str
    brands: tuple[str, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    benefits: tuple[str, ...]  # participial phrases ending the description's first sentence
    subs: tuple[Sub, ...]


def _line(spec: str) -> Line:
    """Parse "adjectives | noun | variants | min-max" (lists comma-separated)."""
    adjectives, noun, variants, prices = (part.strip() for part in spec.split("|"))
    low, high = prices.split("-")
    return Line(_words(adjectives), noun, _words(variants), float(low), float(high))


def _sub(code: str, name: str, brands: str, *lines: str) -> Sub:
    return Sub(code, name, _words(brands), tuple(_line(spec) for spec in lines))


def _dept(code: str, name: str, benefits: list[str], *subs: Sub) -> Department:
    return Department(code, name, tuple(benefits), subs)


DEPARTMENTS: tuple[Department, ...] = (
    _dept(
        "HW",
        "Tools & Hardware",
        ["built for everyday jobs around the house", "made for demanding work on site", "tested for trade use"],
        _sub("DRL", "Drills & drivers", "Bosch, Makita, DeWalt, Metabo",
             "cordless, brushless, compact | drill driver | 18V, 12V, 18V with 2 batteries | 59-249",
             "cordless, brushless | impact driver | 18V, 12V | 79-229",
             "corded, SDS-plus | hammer drill | 750W, 900W | 69-329",
             "titanium-coated, HSS, masonry | drill bit set | 10-piece, 19-piece, 41-piece | 9-69"),
        _sub("SAW", "Saws", "Bosch, Makita, Stanley, Einhell",
             "cordless, corded | circular saw | 165 mm, 190 mm | 79-299",
             "cordless, pendulum | jigsaw | 18V, 650W | 49-219",
             "universal, fine-cut | hand saw | 500 mm, 22 in | 12-39",
             "sliding, compact | mitre saw | 216 mm, 254 mm | 149-549"),
        _sub("HND", "Hand tools", "Stanley, Wera, Knipex, Bahco",
             "fibreglass, steel | claw hammer | 16 oz, 20 oz | 14-49",
             "insulated, magnetic | screwdriver set | 6-piece, 12-piece | 15-69",
             "aluminium, magnetic | spirit level | 60 cm, 120 cm | 12-79",
             "combination, water pump | pliers | 180 mm, 250 mm | 12-45"),
        _sub("FIX", "Screws & fixings", "Fischer, Spax, Rawlplug, Hettich",
             "zinc-plated, stainless | wood screws | 4x40 mm 200-pack, 5x60 mm 100-pack | 4-24",
             "nylon, universal | wall plugs | 6 mm 100-pack, 8 mm 50-pack | 3-14",
             "galvanised, heavy-duty | anchor bolts | M8 10-pack, M10 10-pack | 6-29",
             "UV-resistant, reusable | cable ties | 100-pack, 200 mm 50-pack | 2-12"),
        _sub("STO", "Tool storage", "Stanley, Keter, Makita, DeWalt",
             "heavy-duty, stackable | tool box | 19 in, 22 in, 26 in | 14-89",
             "waterproof, open-top | tool bag | 16 in, 20 in | 19-79",
             "folding, mobile | workbench | 60 cm, 100 cm | 49-249",
             "stackable, transparent | parts organiser | 10-compartment, 26-compartment | 9-39"),
        _sub("MEA", "Measuring tools", "Bosch, Stanley, Stabila, Leica",
             "auto-lock, magnetic | tape measure | 5 m, 8 m | 8-29",
             "compact, Bluetooth | laser distance meter | 30 m, 50 m | 39-199",
             "self-levelling, green-beam | cross line laser | 15 m, 25 m | 59-249",
             "digital, multi-scan | stud finder | with AC detection, with LCD | 19-89"),
        _sub("SAF", "Workwear & safety", "3M, Uvex, Portwest, Dickies",
             "cut-resistant, anti-slip | work gloves | size 9, size 10 | 4-19",
             "anti-fog, wraparound | safety glasses | clear, tinted | 5-25",
             "padded, foldable | ear defenders | SNR 30 dB, SNR 35 dB | 12-49",
             "high-visibility, water-resistant | work jacket | size M, size L, size XL | 29-129"),
    ),
    _dept(
        "HM",
        "Home & Kitchen",
        ["made to last for years", "designed for everyday family life", "chosen for easy care"],
        _sub("CKW", "Cookware", "Tefal, WMF, Le Creuset, Zwilling",
             "non-stick, induction-ready | frying pan | 24 cm, 28 cm | 19-89",
             "stainless steel, copper-base | saucepan | 16 cm, 20 cm | 24-119",
             "enamelled cast iron | casserole dish | 24 cm, 28 cm | 79-299",
             "carbon steel, non-stick | wok | 28 cm, 32 cm | 24-79"),
        _sub("KNF", "Knives & cutlery", "Zwilling, WMF, Victorinox, Global",
             "forged, Japanese-style | chef's knife | 16 cm, 20 cm | 29-179",
             "serrated, forged | bread knife | 20 cm, 23 cm | 19-89",
             "stainless steel, brushed | cutlery set | 24-piece, 30-piece | 39-219",
             "oak, self-sharpening | knife block | 5-piece, 7-piece | 79-299"),
        _sub("STR", "Storage & organisation", "Brabantia, Joseph Joseph, Curver, Sistema",
             "stackable, lidded | storage box | 10 L, 30 L, 45 L | 6-29",
             "airtight, glass | food container set | 5-piece, 12-piece | 12-49",
             "soft-close, stainless steel | pedal bin | 20 L, 30 L | 29-119",
             "collapsible, woven | laundry basket | 40 L, 60 L | 9-39"),
        _sub("CLN", "Cleaning", "Leifheit, Vileda, Kärcher, Bosch",
             "spin, microfibre | spray mop | 130 cm, with refill | 19-59",
             "cordless, handheld | steam cleaner | 1200W, 1500W | 49-179",
             "extra-wide, foldable | ironing board | 124 x 38 cm, 140 x 45 cm | 29-119",
             "foldable, wall-mounted | clothes airer | 18 m, 20 m | 19-89"),
        _sub("BED", "Bedding & towels", "Silentnight, Christy, Vossen, Dorma",
             "all-season, hypoallergenic | duvet | single, double, king size | 29-189",
             "memory foam, hollowfibre | pillow | standard, 2-pack | 12-69",
             "organic cotton, percale | fitted sheet | single, double, king size | 14-59",
             "Egyptian cotton, quick-dry | bath towel set | 4-piece, 6-piece | 24-89"),
        _sub("LGT", "Lighting", "Philips, Osram, Paulmann, Ledvance",
             "dimmable, warm white | LED bulb | E27 9W, GU10 5W, E14 5W 3-pack | 3-29",
             "adjustable, USB-charging | desk lamp | black, white | 19-89",
             "arc, tripod | floor lamp | 150 cm, 180 cm | 49-229",
             "smart, colour-changing | LED strip | 2 m, 5 m | 19-79"),
        _sub("DEC", "Home décor", "Umbra, Karlsson, Bloomingville, Hübsch",
             "silent, station-style | wall clock | 30 cm, 40 cm | 15-89",
             "oak, black aluminium | picture frame | A4, 30 x 40 cm, 50 x 70 cm | 7-49",
             "round, full-length | mirror | 50 cm, 160 x 50 cm | 29-199",
             "stoneware, hand-glazed | vase | 20 cm, 30 cm | 9-59"),
    ),
    _dept(
        "GD",
        "Garden & Outdoor",
        ["made for long weekends outdoors", "built to handle any weather", "designed for gardens big and small"],
        _sub("MOW", "Lawn mowers & trimmers", "Husqvarna, Stihl, Bosch, Greenworks",
             "cordless, electric, self-propelled | lawn mower | 32 cm, 37 cm, 46 cm | 119-699",
             "app-controlled, all-wheel-drive | robotic mower | 500 m², 1000 m² | 549-1499",
             "cordless, electric | grass trimmer | 23 cm, 30 cm | 39-179",
             "cordless, electric | hedge trimmer | 50 cm, 60 cm | 59-249"),
        _sub("WAT", "Watering", "Gardena, Hozelock, Kärcher",
             "kink-free, flexible | garden hose | 15 m, 25 m, 50 m | 15-79",
             "wall-mounted, mobile | hose reel | 30 m, 60 m | 29-149",
             "oscillating, pulse | sprinkler | 250 m², 400 m² | 9-49",
             "automatic, app-controlled | water timer | single outlet, dual outlet | 29-119"),
        _sub("GHT", "Garden hand tools", "Fiskars, Gardena, Spear & Jackson, Wolf-Garten",
             "bypass, anvil | pruning shears | 20 mm cut, 24 mm cut | 12-49",
             "stainless steel, carbon steel | digging spade | 110 cm, 120 cm | 24-69",
             "telescopic, fan | leaf rake | 50 cm, 60 cm | 9-39",
             "wavy-blade, telescopic | hedge shears | 57 cm, 70 cm | 19-59"),
        _sub("BBQ", "Barbecues", "Weber, Char-Broil, Outdoorchef, Napoleon",
             "kettle, portable | charcoal grill | 47 cm, 57 cm | 39-349",
             "3-burner, 4-burner | gas grill | with side burner, black | 299-1199",
             "stainless steel | grill tool set | 3-piece, 5-piece | 14-59",
             "cordierite, round | pizza stone | 33 cm, 36 cm | 19-59"),
        _sub("FUR", "Garden furniture", "Keter, Kettler, Hartman, Lifetime",
             "folding, stacking | garden chair | teak, anthracite, 2-pack | 29-149",
             "acacia, metal | bistro set | 3-piece, 2-seat | 79-299",
             "adjustable, wheeled | sun lounger | grey, natural | 59-249",
             "tilting, cantilever | parasol | 2.7 m, 3 m | 39-349"),
        _sub("PLT", "Plants & seeds", "Kiepenkerl, Compo, Miracle-Gro, Sperli",
             "heirloom, organic | tomato seeds | 30 seeds, 100 seeds | 2-6",
             "peat-free, organic | potting compost | 40 L, 50 L | 5-15",
             "slow-release, organic | lawn fertiliser | 2.5 kg, 5 kg | 9-39",
             "spring-flowering, mixed | flower bulbs | 25-pack, 50-pack | 5-19"),
        _sub("PWS", "Pressure washers", "Kärcher, Nilfisk, Bosch, Ryobi",
             "compact, cordless | pressure washer | 110 bar, 130 bar, 150 bar | 89-499",
             "rotating, splash-free | patio cleaner | 30 cm, 40 cm | 29-89",
             "kink-resistant, extra-long | extension hose | 8 m, 10 m | 25-79",
             "rotating, soft | wash brush | for cars, for patios | 12-39"),
    ),
    _dept(
        "EL",
        "Electronics",
        ["set up in minutes", "built for everyday reliability", "designed for home and travel"],
        _sub("AUD", "Audio", "Sony, JBL, Bose, Sennheiser",
             "portable, waterproof | Bluetooth speaker | black, blue, 20 W | 29-249",
             "noise-cancelling, over-ear | wireless headphones | black, silver | 59-399",
             "true wireless, sport | earbuds | black, white | 29-249",
             "compact, 2.1-channel | soundbar | with subwoofer, with Dolby Atmos | 99-699"),
        _sub("CHG", "Chargers & cables", "Anker, Belkin, Ugreen, Samsung",
             "fast-charging, GaN | USB-C charger | 20 W, 65 W, 100 W 2-port | 12-69",
             "slim, magnetic | power bank | 10000 mAh, 20000 mAh | 19-79",
             "braided, USB-C to USB-C | charging cable | 1 m, 2 m, 2-pack | 7-24",
             "Qi2, foldable | wireless charger | 15 W, 3-in-1 | 19-129"),
        _sub("NET", "Networking", "TP-Link, Netgear, AVM, Ubiquiti",
             "dual-band, Wi-Fi 6 | router | AX1800, AX3000 | 49-249",
             "Wi-Fi 6, tri-band | mesh system | 2-pack, 3-pack | 119-449",
             "unmanaged, gigabit | network switch | 5-port, 8-port, 16-port | 15-89",
             "plug-in, Wi-Fi 6 | range extender | AX1500, AX3000 | 29-99"),
        _sub("SMH", "Smart home", "Philips Hue, Eufy, Ring, Netatmo",
             "energy-monitoring, mini | smart plug | single, 4-pack | 12-49",
             "outdoor, battery-powered | security camera | 2K, 1080p | 49-199",
             "wired, battery-powered | video doorbell | 2K, 1080p | 59-219",
             "smart, app-controlled | radiator thermostat | starter kit, single | 39-199"),
        _sub("TVV", "TV & video", "Vogel's, One For All, Roku, Epson",
             "tilting, full-motion | TV wall mount | 32-55 in, 43-75 in | 24-149",
             "high-speed, 8K | HDMI cable | 1.5 m, 3 m | 9-29",
             "4K, HDR | streaming stick | with voice remote, 2nd gen | 29-69",
             "portable, Full HD | projector | 3000 lumens, with screen | 199-899"),
        _sub("PCA", "Computer accessories", "Logitech, Microsoft, Cherry, Razer",
             "wireless, ergonomic, silent | mouse | black, graphite | 14-119",
             "mechanical, wireless, backlit | keyboard | full-size, tenkeyless | 29-179",
             "autofocus, wide-angle | webcam | 1080p, 4K | 39-199",
             "aluminium, compact | USB-C hub | 4-port, 7-in-1 | 19-79"),
        _sub("BAT", "Batteries", "Varta, Duracell, Energizer, Panasonic",
             "alkaline, long-life | AA batteries | 4-pack, 8-pack, 12-pack | 3-14",
             "alkaline, long-life | AAA batteries | 4-pack, 8-pack | 3-12",
             "rechargeable, pre-charged | NiMH batteries | AA 4-pack, AAA 4-pack | 9-24",
             "lithium, coin | button cells | CR2032 2-pack, CR2025 4-pack | 3-9"),
    ),
    _dept(
        "OF",
        "Office Supplies",
        ["made for daily office use", "suited to home office and school", "chosen by offices across Europe"],
        _sub("PAP", "Paper & notebooks", "Leitz, Oxford, Moleskine, Post-it",
             "recycled, premium | copy paper | A4 500 sheets, A4 2500 sheets | 5-29",
             "hardcover, dotted, ruled | notebook | A5, A4 | 4-24",
             "repositionable, neon | sticky notes | 76 x 76 mm 12-pack, 6-pack | 4-19",
             "spiral-bound, squared | notepad | A4 80 sheets, A5 5-pack | 3-12"),
        _sub("WRT", "Pens & pencils", "Stabilo, Pilot, Pelikan, Faber-Castell",
             "retractable, refillable | ballpoint pens | blue 10-pack, assorted 4-pack | 3-14",
             "steel-nib, classic | fountain pen | fine, medium | 12-69",
             "pastel, fluorescent | highlighters | 4-pack, 8-pack | 4-12",
             "graphite, eraser-tipped | pencils | HB 12-pack, 2B 12-pack | 2-9"),
        _sub("FIL", "Filing & archiving", "Leitz, Esselte, Fellowes, Durable",
             "recycled, colour-coded | lever arch file | A4 80 mm, A4 50 mm | 3-9",
             "stackable, corrugated | archive box | 10-pack, 5-pack | 9-39",
             "lockable, steel | filing cabinet | 2-drawer, 3-drawer, 4-drawer | 99-399",
             "stackable, transparent | letter tray | A4, 3-tier | 6-29"),
        _sub("OFF", "Office furniture", "Flexispot, Topstar, Ergotron, Steelcase",
             "ergonomic, mesh | office chair | with headrest, black | 89-499",
             "electric, height-adjustable | standing desk | 120 x 60 cm, 160 x 80 cm | 249-799",
             "gas-spring, clamp-on | monitor arm | single, dual | 29-149",
             "adjustable, rocking | footrest | black, grey | 19-59"),
        _sub("PRN", "Printers & ink", "HP, Brother, Canon, Epson",
             "wireless, colour | laser printer | A4, duplex | 129-449",
             "high-yield, original | ink cartridge | black, colour, multipack | 14-69",
             "original, high-yield | toner cartridge | black, cyan, magenta | 39-149",
             "cross-cut, micro-cut | paper shredder | 8 sheets, 12 sheets | 39-249"),
        _sub("DSK", "Desk accessories", "Leitz, Rapid, Fellowes, Maped",
             "heavy-duty, compact | stapler | 25-sheet, 60-sheet | 6-49",
             "2-hole, 4-hole | hole punch | 25-sheet, 40-sheet | 6-39",
             "bamboo, mesh | desk organiser | 5-compartment, 3-piece | 9-39",
             "soft-grip, titanium | scissors | 17 cm, 21 cm | 3-14"),
        _sub("PCK", "Shipping & packing", "Tesa, Scotch, Raja",
             "double-wall, recycled | cardboard boxes | 30 x 20 x 20 cm 10-pack, 40 x 30 x 30 cm 10-pack | 9-39",
             "low-noise, extra-strong | packing tape | 50 m 6-pack, 66 m 3-pack | 6-19",
             "perforated, recycled | bubble wrap | 50 cm x 10 m, 100 cm x 50 m | 7-39",
             "self-seal, padded | envelopes | C5 25-pack, C4 50-pack | 6-29"),
    ),
)  # fmt: skip

# Third-level categories, used only when more are asked for than the tree above has.
QUALIFIERS = _words("Professional, Premium, Budget, Compact, Eco, Bestselling")
EXTRAS = (
    "Backed by a 2-year warranty.",
    "Ships in recyclable packaging.",
    "Spare parts available for 10 years.",
    "Rated 4.6 out of 5 by our customers.",
    "Easy to clean and store.",
    "Tested to EU safety standards.",
)
CENTS = (99, 99, 99, 49, 95, 0)
# A product line's models after its first: "Bosch cordless drill driver 18V Pro", "... Plus", "... Pro 2".
EDITIONS = _words("Pro, Plus, Max, Lite, Eco, Compact, Premium, Classic, Sport")


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass(frozen=True)
class Leaf:
    """Where products go: a category without children (or None) and its word lists."""

    category: Category | None
    department: Department
    subs: tuple[Sub, ...]


def category_tree(rng: random.Random, count: int) -> tuple[list[list[Category]], list[Leaf]]:
    """`count` unsaved categories, level by level (parents first), and the leaves.

    Up to len(DEPARTMENTS) categories are departments only; then subcategories
    are added round-robin across departments; beyond the word lists' tree,
    qualified third-level categories ("Professional saws") are added.
    """
    levels: list[list[Category]] = []
    if count <= 0:
        return levels, [Leaf(None, dept, dept.subs) for dept in DEPARTMENTS]

    departments = DEPARTMENTS[:count]
    tops = [Category(id=new_uuid(rng), name=d.name, position=i) for i, d in enumerate(departments, 1)]
    levels.append(tops)
    remaining = count - len(tops)

    pairs = []  # (department index, sub) round-robin, so each department gets some
    for j in range(max(len(d.subs) for d in departments)):
        pairs += [(i, d.subs[j]) for i, d in enumerate(departments) if j < len(d.subs)]
    pairs = pairs[:remaining]
    seconds, positions = [], [0] * len(tops)
    for i, sub in pairs:
        positions[i] += 1
        seconds.append(Category(id=new_uuid(rng), name=sub.name, parent=tops[i], position=positions[i]))
    if seconds:
        levels.append(seconds)
    remaining -= len(seconds)

    thirds, third_subs = [], []
    children = [0] * len(seconds)
    for n in range(remaining):
        k = n % len(seconds)  # cycle through subcategories, then through qualifiers
        round_, q = divmod(n // len(seconds), len(QUALIFIERS))
        sub = pairs[k][1]
        name = f"{QUALIFIERS[q]} {sub.name[0].lower()}{sub.name[1:]}" + (f" {round_ + 1}" if round_ else "")
        children[k] += 1
        thirds.append(Category(id=new_uuid(rng), name=name, parent=seconds[k], position=children[k]))
        third_subs.append(sub)
    if thirds:
        levels.append(thirds)

    leaves = [Leaf(cat, departments[i], departments[i].subs) for i, cat in enumerate(tops) if not seconds]
    leaves += [Leaf(cat, departments[pairs[k][0]], (pairs[k][1],)) for k, cat in enumerate(seconds) if not children[k]]
    leaves += [
        Leaf(cat, departments[pairs[k % len(seconds)][0]], (sub,))
        for k, (cat, sub) in enumerate(zip(thirds, third_subs, strict=True))
    ]
    if seconds:  # a department whose subcategories were not reached still sells
        reached = {i for i, _ in pairs}
        leaves += [Leaf(cat, departments[i], departments[i].subs) for i, cat in enumerate(tops) if i not in reached]
    return levels, leaves


def price(rng: random.Random, low: float, high: float) -> Decimal:
    """A shop-like price between low and high: log-uniform, ending in .99, .49, .95 or .00."""
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    euros, cents = int(value), rng.choice(CENTS)
    if euros == 0 and cents == 0:
        cents = 99
    return Decimal(f"{euros}.{cents:02d}")


def stock(rng: random.Random) -> int:
    """0..500, mostly low: a few out of stock, many in the tens."""
    if rng.random() < OUT_OF_STOCK_SHARE:
        return 0
    return min(500, max(1, round(rng.triangular(1, 500, 30))))


def product_text(rng: random.Random, department: Department, sub: Sub) -> tuple[str, str, Line]:
    """(name, description, line), e.g. "Bosch cordless drill driver 18V", "Cordless drill driver by Bosch, ..."."""
    brand, line = rng.choice(sub.brands), rng.choice(sub.lines)
    adjective, variant = rng.choice(line.adjectives), rng.choice(line.variants)
    name = f"{brand} {adjective} {line.noun} {variant}"
    description = f"{adjective[0].upper()}{adjective[1:]} {line.noun} by {brand}, {rng.choice(department.benefits)}."
    if rng.random() < 0.7:
        description += " " + rng.choice(EXTRAS)
    return name, description, line


def edition(k: int) -> str:
    """The suffix of a line's k-th product of one name: "" first, then " Pro" ... " Sport", " Pro 2" ..."""
    if k == 0:
        return ""
    round_, e = divmod(k - 1, len(EDITIONS))
    return f" {EDITIONS[e]}" + (f" {round_ + 1}" if round_ else "")


def product_rows(rng: random.Random, count: int, leaves: list[Leaf]) -> Iterator[Product]:
    """`count` unsaved products spread over `leaves`; SKUs like "HW-DRL-004213" and names unique."""
    numbers = rng.sample(range(1, max(1_000_000, 2 * count)), count)
    inactive = set(rng.sample(range(count), round(count * INACTIVE_SHARE)))
    editions: dict[str, int] = {}  # name -> how many products already carry it (with an edition)
    taken: set[str] = set()
    for n in range(count):
        leaf = rng.choice(leaves)
        sub = rng.choice(leaf.subs)
        base, description, line = product_text(rng, leaf.department, sub)
        k = editions.get(base, 0)
        while (name := base + edition(k)) in taken:
            k += 1
        editions[base] = k + 1
        taken.add(name)
        yield Product(
            id=new_uuid(rng),
            sku=f"{leaf.department.code}-{sub.code}-{numbers[n]:06d}",
            name=name,
            description=description,
            price=price(rng, line.price_min, line.price_max),
            stock=stock(rng),
            category=leaf.category,
            is_active=n not in inactive,
        )


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# Drawn pictures of this process by (subcategory code, variant): the upload's name and its renditions.
_pictures: dict[tuple[str, int], tuple[str, Renditions]] = {}


def demo_picture(sub_code: str, variant: int) -> tuple[str, Renditions]:
    """A subcategory's picture (catalogue.demo_images), stored as an upload would be, with its renditions.

    Every file is named by its content, so drawing again after a change of the
    drawings never reuses a name, and two processes write the same bytes.
    """
    key = (sub_code, variant)
    if key not in _pictures:
        buffer = io.BytesIO()
        demo_images.draw(sub_code, variant).save(buffer, "PNG", compress_level=1)
        name = f"products/demo/{hashlib.sha256(buffer.getvalue()).hexdigest()[:32]}.png"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(buffer.getvalue()))
        _pictures[key] = (name, renditions_make(buffer))
    return _pictures[key]


def _picture(product: Product, share: int) -> None:
    """Give `share` percent of products a picture of their subcategory (chosen by id, not by the rng)."""
    if product.id.int % 100 >= share:
        return
    product.image, product.renditions = demo_picture(product.sku.split("-")[1], product.id.int // 100 % VARIANTS)


def catalogue_seed(*, products: int, categories: int, seed: int, pictures: int = 0) -> tuple[int, int]:
    """Insert a demo catalogue; returns (categories, products) created.

    Same seed, same rows (ids, SKUs, names, prices, stock, tree, pictures).
    `pictures` percent of the products get a drawn picture, drawn first, so
    that the writers' lock is not held while they are. Versions come from
    the database triggers, as for any other write.
    """
    if pictures:
        rng = random.Random(seed)  # the same draws as the insert's below: the same products
        _, leaves = category_tree(rng, categories)
        for product in product_rows(rng, products, leaves):
            _picture(product, pictures)
    return _catalogue_insert(products=products, categories=categories, seed=seed, pictures=pictures)


@transaction.atomic
def _catalogue_insert(*, products: int, categories: int, seed: int, pictures: int) -> tuple[int, int]:
    lock_versions()
    rng = random.Random(seed)
    levels, leaves = category_tree(rng, categories)
    for level in levels:  # parents before children
        Category.objects.bulk_create(level, batch_size=BATCH_SIZE)
    created = 0
    for batch in _batches(product_rows(rng, products, leaves), BATCH_SIZE):
        for product in batch:
            _picture(product, pictures)
        Product.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        created += len(batch)
    return sum(len(level) for level in levels), created


@transaction.atomic
def catalogue_clear() -> tuple[int, int]:
    """Delete every product and category (leaves tombstones, so clients drop them too)."""
    lock_versions()
    _, product_counts = Product.objects.all().delete()
    _, category_counts = Category.objects.all().delete()
    return category_counts.get(Category._meta.label, 0), product_counts.get(Product._meta.label, 0)
