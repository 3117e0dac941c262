"""The columns of a product spreadsheet (django-import-export widgets): how each cell reads and writes.

Each reads what a shop types ("yes", " 12 ", "Tools > Drills") and turns a
cell it cannot read into the row's error, in words, never a traceback.
"""

import re
import uuid
from decimal import Decimal, InvalidOperation

from import_export import widgets

from catalogue.selectors import category_paths

CATEGORY_SEPARATOR = " > "

# Row errors, shown beside the row in the import's preview.
NOT_A_PRICE = "Enter a price such as 19.99."
NOT_A_WHOLE_NUMBER = "Enter a whole number such as 12."
NOT_YES_OR_NO = "Enter yes or no (or 1 or 0)."
NO_SUCH_CATEGORY = 'No category "{text}": write its path from the top, e.g. "{example}".'
AMBIGUOUS_CATEGORY = '"{text}" could be {paths}: write the whole path.'


class TrimmedText(widgets.CharWidget):
    """Text without the spaces a spreadsheet leaves around it."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).strip()


class Price(widgets.DecimalWidget):
    """An amount with a point for decimals, "19.99", as CSV and XLSX files hold them; read exactly."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            price = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(NOT_A_PRICE) from None
        if not price.is_finite():
            raise ValueError(NOT_A_PRICE)
        return price


class WholeNumber(widgets.IntegerWidget):
    """A count: "12" or 12.0 (a spreadsheet's number), never 12.5."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(NOT_A_WHOLE_NUMBER) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(NOT_A_WHOLE_NUMBER)
        return int(number)


class YesNo(widgets.BooleanWidget):
    """yes/no, true/false or 1/0, as a shop types them; exported as 1 and 0."""

    WORDS = {"1": True, "yes": True, "y": True, "true": True, "0": False, "no": False, "n": False, "false": False}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = str(value if value is not None else "").strip().lower()
        if text in {"", "none", "null"}:
            return None
        if text.endswith(".0"):  # a spreadsheet's 1.0
            text = text[:-2]
        if text not in self.WORDS:
            raise ValueError(NOT_YES_OR_NO)
        return self.WORDS[text]


class CategoryColumn(widgets.Widget):
    """A category as its path from the top, "Tools > Drills"; a blank cell is no category.

    Names repeat across the tree ("Accessories" under several departments), so
    the path, written by the export, is what an import reads. A name alone is
    enough when only one category has it; a category's id is accepted too.
    Paths are matched ignoring case and spaces around the ">". The tree is read
    once per import or export.
    """

    def __init__(self):
        super().__init__()
        self._paths = None

    @property
    def paths(self) -> dict[uuid.UUID, tuple[str, ...]]:
        if self._paths is None:
            self._paths = category_paths()
            self._by_path, self._by_name = {}, {}
            for pk, path in self._paths.items():
                self._by_path.setdefault(self._key(path), []).append(pk)
                self._by_name.setdefault(self._key(path[-1:]), []).append(pk)
        return self._paths

    @staticmethod
    def _key(names) -> str:
        return CATEGORY_SEPARATOR.join(re.sub(r"\s+", " ", name).strip().casefold() for name in names)

    def clean(self, value, row=None, **kwargs) -> uuid.UUID | None:
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        paths = self.paths
        key = self._key(text.split(">"))
        found = self._by_path.get(key) or (self._by_name.get(key, []) if ">" not in text else [])
        if not found:
            try:
                found = [pk] if (pk := uuid.UUID(text)) in paths else []
            except ValueError:
                found = []
        if len(found) == 1:
            return found[0]
        if not found:
            example = max(paths.values(), key=len, default=("Tools", "Drills"))
            raise ValueError(NO_SUCH_CATEGORY.format(text=text, example=CATEGORY_SEPARATOR.join(example)))
        listed = " or ".join(sorted(f'"{CATEGORY_SEPARATOR.join(paths[pk])}"' for pk in found))
        raise ValueError(AMBIGUOUS_CATEGORY.format(text=text, paths=listed))

    def render(self, value, obj=None, **kwargs) -> str:
        return CATEGORY_SEPARATOR.join(self.paths.get(value, ())) if value else ""
