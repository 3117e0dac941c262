"""The push envelope's quick reading gives the serializer's answer, or leaves the body to it."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncapi.push import Mutation
from syncapi.push_envelope import envelope_read
from syncapi.serializers import MAX_INT64, PushRequestSerializer

pytestmark = pytest.mark.once  # no database

MISSING = object()  # the field left out

# Per field: values the serializer takes, then values at or past its edges.
VALID = {
    "id": st.integers(min_value=1, max_value=MAX_INT64),
    "collection": st.sampled_from(["products", "order_lines", "x" * 64, " products"]),
    "op": st.sampled_from(["upsert", "delete"]),
    "record_id": st.text(alphabet="abc-1 ", min_size=1, max_size=64),
    "base_version": st.one_of(st.none(), st.integers(min_value=0, max_value=MAX_INT64)),
    "data": st.dictionaries(st.sampled_from(["name", "price"]), st.one_of(st.integers(), st.text(max_size=3))),
    "base": st.one_of(st.none(), st.dictionaries(st.sampled_from(["name"]), st.text(max_size=3))),
    "group": st.one_of(st.none(), st.sampled_from(["g1", "g2"])),
}
TEXT_EDGES = ["", "x" * 65, "p\x00", "é", "\u2028", None, 5, True, ["products"], {"a": 1}, MISSING]
EDGE_VALUES = {
    "id": [0, -1, MAX_INT64 + 1, True, False, 1.0, 2.5, "7", None, MISSING],
    "collection": TEXT_EDGES,
    "op": ["Upsert", "", None, 1, "insert", MISSING],
    "record_id": TEXT_EDGES,
    "base_version": [-1, MAX_INT64 + 1, True, 1.5, "3", MISSING],
    "data": [None, [], "x", 0, MISSING],
    "base": [[], "x", 0, MISSING],
    "group": TEXT_EDGES,
}
EDGES = {name: st.sampled_from(values) for name, values in EDGE_VALUES.items()}
EDGES["record_id"] = st.one_of(EDGES["record_id"], st.text(max_size=3))


@st.composite
def mutations(draw):
    """A mutation the serializer takes, or one with a field moved to an edge (or left out)."""
    mutation = {name: draw(values) for name, values in VALID.items()}
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        name = draw(st.sampled_from(sorted(EDGES)))
        mutation[name] = draw(EDGES[name])
    if draw(st.booleans()):
        mutation["extra"] = "ignored"
    return {name: value for name, value in mutation.items() if value is not MISSING}


client_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.sampled_from(["", "not-a-uuid", 12, None, "{12345678-1234-5678-1234-567812345678}"]),
)
bodies = st.one_of(
    st.fixed_dictionaries({"client_id": client_ids, "mutations": st.lists(mutations(), min_size=1, max_size=4)}),
    st.fixed_dictionaries({"client_id": st.uuids().map(str), "mutations": st.lists(st.just(7), max_size=1)}),
    st.sampled_from([[], "x", {"client_id": str(uuid.uuid4())}, {"mutations": []}]),
)


def serializer_answer(body):
    envelope = PushRequestSerializer(data=body)
    if not envelope.is_valid():
        return None
    data = envelope.validated_data
    return data["client_id"], [Mutation(**m) for m in data["mutations"]]


@settings(max_examples=1000, deadline=None)
@given(bodies)
def test_the_quick_reading_agrees_with_the_serializer_on_any_body(body):
    quick = envelope_read(body)

    if quick is not None:  # what it reads, the serializer reads the same; what it refuses, the serializer decides
        assert quick == serializer_answer(body)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, values in EDGE_VALUES.items() for v in values])
def test_a_field_at_an_edge_is_read_as_the_serializer_reads_it(name, value):
    mutation = {"id": 1, "collection": "products", "op": "upsert", "record_id": "p-1", name: value}
    body = {"client_id": str(uuid.uuid4()), "mutations": [{k: v for k, v in mutation.items() if v is not MISSING}]}

    quick = envelope_read(body)

    if quick is not None:
        assert quick == serializer_answer(body)


def test_a_plain_push_is_read_without_the_serializer():
    client_id = str(uuid.uuid4())
    body = {
        "client_id": client_id,
        "mutations": [
            {"id": 1, "collection": "products", "op": "upsert", "record_id": "p-1", "base_version": 3,
             "data": {"price": "9.50"}, "base": {"price": "9.00"}, "group": "order-1"},
            {"id": 2, "collection": "order_lines", "op": "upsert", "record_id": "l-1", "group": "order-1"},
            {"id": 3, "collection": "favourites", "op": "delete", "record_id": "f-1", "base_version": None},
        ],
    }  # fmt: skip

    quick = envelope_read(body)

    assert quick is not None
    assert quick == serializer_answer(body)
    assert quick[1][1] == Mutation(id=2, collection="order_lines", op="upsert", record_id="l-1", group="order-1")


def test_a_group_split_by_another_mutation_is_left_to_the_serializer():
    def mutation(id_, group):
        return {"id": id_, "collection": "products", "op": "delete", "record_id": f"p-{id_}", "group": group}

    body = {"client_id": str(uuid.uuid4()), "mutations": [mutation(1, "a"), mutation(2, None), mutation(3, "a")]}

    assert envelope_read(body) is None
    assert serializer_answer(body) is None
