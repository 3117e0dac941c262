"""The mixed benchmark runs end to end at its quick size, and its final check sees any replica that differs.

No timing is asserted (that is `bench/`'s job). The run itself pulls, pushes
favourites and price edits, changes prices in bulk in the admin's process,
then syncs every device and compares its replica with the server's rows:
the benchmark fails on any difference. Below, that check is shown replicas
that differ, so that it cannot pass by comparing nothing.
"""

import re

import pytest

from bench.load import Device, Tally
from bench.mixed import Member, Replica, check
from tests.bench.runner import engine_under_test, run_bench

FIGURE = re.compile(r"(?<!≤)\s([\d,.]+)(?: \([\d,.]+–[\d,.]+\))? (?:ms|errors)")


@pytest.mark.postgres  # the mixed run is PostgreSQL with Redis, as in production
def test_mixed_benchmark_runs_and_every_replica_ends_equal_to_the_server():
    db = engine_under_test()
    result = run_bench("bench.mixed", "--quick", "--duration", "1.5", "--warmup", "0.5", "--db", db, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    lines = result.stdout.splitlines()
    for kind in ("pulls, p99", "pushes, p99", "a bulk price change", "errors"):
        [line] = [line for line in lines if f" — {kind}" in line]
        assert len(FIGURE.findall(line)) == 2, line  # the figure and its floor
    [errors] = [line for line in lines if " — errors" in line]
    assert FIGURE.findall(errors) == ["0.0", "0.0"], result.stdout
    [equal] = [line for line in lines if " — replicas equal to the server once synced" in line]
    assert equal.endswith("met"), equal
    assert "'applied'" in result.stdout, result.stdout  # pushes were applied, so there was something to converge


def _product(version: int, price: str) -> dict:
    return {"id": "p1", "version": version, "price": price}


def _member(base: dict, user: int = 0) -> Member:
    return Member(Device(None, Tally(), "token", {}), Replica(base), user=user)


def _truth(products: dict) -> dict:
    return {"products": products, "categories": {}, "favourites": {"42": {}}}


def _page(upserts: list[dict], deletes: list[str] = ()) -> dict:
    return {"upserts": upserts, "deletes": list(deletes), "reset": False}


def test_the_check_passes_replicas_that_pulled_every_change():
    first = {"products": {"p1": _product(1, "9.99")}, "categories": {}, "favourites": {}}
    synced, fresh = _member(first), _member({"products": {}, "categories": {}, "favourites": {}})
    for member in (synced, fresh):
        member.replica.apply("products", _page([_product(2, "9.49")]))
    assert check([synced, fresh], _truth({"p1": _product(2, "9.49")}), users=[42]) == {
        "products changed": 1, "favourites held": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("first", "page", "server"),
    [
        ({"p1": _product(1, "9.99")}, _page([]), {"p1": _product(2, "9.49")}),  # a change never pulled
        ({"p1": _product(1, "9.99")}, _page([], ["p1"]), {"p1": _product(1, "9.99")}),  # deleted here only
        ({}, _page([]), {"p1": _product(1, "9.99")}),  # a fresh device that missed a record
        ({"p1": _product(1, "9.99")}, _page([]), {}),  # a record the server no longer shows
    ],
)
def test_the_check_fails_loudly_on_a_replica_that_differs(first, page, server):
    member = _member({"products": first, "categories": {}, "favourites": {}})
    member.replica.apply("products", page)
    with pytest.raises(RuntimeError, match="products p1"):
        check([member], _truth(server), users=[42])
