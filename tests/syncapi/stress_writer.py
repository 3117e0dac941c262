"""A stress writer process (tests/syncapi/test_stress_postgres.py): plain SQL, no Django.

Its own module, importing nothing of Django, so that a spawned process can load it.
"""

import random
import uuid

import psycopg

OPERATIONS = 60


def write(dsn: dict, seed: int, ids: list[str]) -> None:
    """One writer process: transactions of 1–3 random edits, deactivations, deletes and creations."""
    rng = random.Random(seed)
    ids = list(ids)
    with psycopg.connect(**dsn, autocommit=True) as conn:
        for _ in range(OPERATIONS):
            with conn.transaction():
                for _ in range(rng.randint(1, 3)):
                    _operation(conn, rng, ids)
                if rng.random() < 0.3:
                    # A slow transaction: it holds its versions while later ones may commit first.
                    conn.execute("SELECT pg_sleep(%s)", (rng.uniform(0, 0.01),))


def _operation(conn: psycopg.Connection, rng: random.Random, ids: list[str]) -> None:
    op, pk = rng.random(), rng.choice(ids)
    if op < 0.45:
        conn.execute("UPDATE catalogue_product SET stock = %s WHERE id = %s", (rng.randint(0, 999), pk))
    elif op < 0.65:
        conn.execute("UPDATE catalogue_product SET is_active = NOT is_active WHERE id = %s", (pk,))
    elif op < 0.8:
        conn.execute("DELETE FROM catalogue_product WHERE id = %s", (pk,))
    else:
        new = str(uuid.UUID(int=rng.getrandbits(128)))
        conn.execute(
            "INSERT INTO catalogue_product (id, sku, name, description, price, currency, stock, image,"
            " is_active, updated_at, version) VALUES (%s, %s, 'Stress', '', 1.00, 'EUR', 1, '', true, now(), 0)",
            (new, f"S-{new[:12]}"),
        )
        ids.append(new)
