"""The static import graph of the frontend's ES modules.

A module graph loads level by level: the browser learns of a module's
imports only once it has fetched and parsed it. The shell (`modulepreload`)
and the service worker (`/sw.js`'s own imports) name a module's whole graph
at once instead, so that it all downloads in one round.
"""

import posixpath
import re
from functools import lru_cache

from django.contrib.staticfiles import finders

# The relative specifier of each static `import ... from` / `export ... from` / `import "..."`.
_SPECIFIER = re.compile(r"""(?:\b(?:import|export)\b[\w\s{},*$]*?\bfrom\s*|\bimport\s*)['"](\.{1,2}/[^'"]*)['"]""")


def static_imports(name: str) -> list[str]:
    """The static names ("frontend/js/db.js") of the modules that module `name` imports."""
    path = finders.find(name)
    if path is None:
        return []
    with open(path, encoding="utf-8") as source:
        specifiers = _SPECIFIER.findall(source.read())
    return [posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier)) for specifier in specifiers]


@lru_cache(maxsize=16)
def module_graph(name: str, release: str) -> tuple[str, ...]:
    """`name` and every module it imports, directly or not: each once, dependencies first, `name` last.

    `release` (the release id) only keys the cache: another release may import otherwise.
    """
    order: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> None:
        if module in seen:
            return
        seen.add(module)
        for dependency in static_imports(module):
            visit(dependency)
        order.append(module)

    visit(name)
    return tuple(order)
