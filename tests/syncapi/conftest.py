"""Fixtures shared by the tests of the sync API."""

import threading

import pytest

from syncapi import page_cache as page_cache_module
from syncapi import selectors as selectors_module


def counted_in_this_thread(monkeypatch, module, name: str) -> list:
    """Calls of `module.name` made by this thread, one item each."""
    calls, here, original = [], threading.get_ident(), getattr(module, name)

    def counted(*args, **kwargs):
        if threading.get_ident() == here:
            calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def record_reads(monkeypatch):
    """Counts the pages whose records the page cache read from the database, in this thread.

    (The live server of the browser tests shares an in-memory SQLite
    connection and may run in another thread: its reads are not counted.)
    """
    return counted_in_this_thread(monkeypatch, page_cache_module, "visible_records")


@pytest.fixture
def version_reads(monkeypatch):
    """Counts the queries for versions of rows (a page's, or the plan's), in this thread."""
    return counted_in_this_thread(monkeypatch, selectors_module, "page_versions")
