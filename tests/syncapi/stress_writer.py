"""A stress writer process (tests/syncapi/test_stress_postgres.py): plain SQL, no Django.

Its own module, importing nothing of Django, so that a spawned process can load it.
Order writes do in SQL what the ORM does (catalogue/models.py): a line takes its
order's owner read under the writers' lock, a reassigned order takes its lines
along, a deleted order its lines, and a deleted product leaves its lines without
it.
"""

import random
import uuid

import psycopg

OPERATIONS = 60


def write(dsn: dict, seed: int, ids: list[str], users: list[int], lock_key: int) -> None:
    """One writer process: transactions of 1–3 random product and order writes."""
    writer = _Writer(random.Random(seed), list(ids), users, lock_key)
    with psycopg.connect(**dsn, autocommit=True) as conn:
        writer.conn = conn
        for _ in range(OPERATIONS):
            with conn.transaction():
                for _ in range(writer.rng.randint(1, 3)):
                    writer.operation()
                if writer.rng.random() < 0.3:
                    # A slow transaction: it holds its versions while later ones may commit first.
                    conn.execute("SELECT pg_sleep(%s)", (writer.rng.uniform(0, 0.01),))


class _Writer:
    def __init__(self, rng: random.Random, ids: list[str], users: list[int], lock_key: int):
        self.rng, self.ids, self.users, self.lock_key = rng, ids, users, lock_key
        self.orders: list[str] = []
        self.conn: psycopg.Connection | None = None

    def operation(self) -> None:
        op = self.rng.random()
        if op < 0.55:
            self.product()
        elif op < 0.7 or not self.orders:
            self.order()
        else:
            self.change_order(self.rng.choice(self.orders))

    def execute(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(sql, params)

    def lock(self) -> None:
        """The writers' lock, taken before reading what the write depends on (syncapi.versioning)."""
        self.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def product(self) -> None:
        op, pk = self.rng.random(), self.rng.choice(self.ids)
        if op < 0.45:
            self.execute("UPDATE catalogue_product SET stock = %s WHERE id = %s", (self.rng.randint(0, 999), pk))
        elif op < 0.65:
            self.execute("UPDATE catalogue_product SET is_active = NOT is_active WHERE id = %s", (pk,))
        elif op < 0.8:
            self.lock()
            self.execute("UPDATE catalogue_orderline SET product_id = NULL WHERE product_id = %s", (pk,))
            self.execute("DELETE FROM catalogue_product WHERE id = %s", (pk,))
        else:
            new = self.new_id()
            self.execute(
                "INSERT INTO catalogue_product (id, sku, name, description, price, currency, stock, image,"
                " is_active, updated_at, version) VALUES (%s, %s, 'Stress', '', 1.00, 'EUR', 1, '', true, now(), 0)",
                (new, f"S-{new[:12]}"),
            )
            self.ids.append(new)

    def order(self) -> None:
        """A draft with up to three lines (lines of products no longer sold are left out)."""
        order_id = self.new_id()
        self.execute(
            "INSERT INTO catalogue_order (id, owner_id, customer, note, status, currency, total, created_at,"
            " decision_reason, version) VALUES (%s, %s, 'Stress', '', 'draft', 'EUR', NULL, now(), '', 0)",
            (order_id, self.rng.choice(self.users)),
        )
        self.orders.append(order_id)
        for _ in range(self.rng.randint(0, 3)):
            self.add_line(order_id)

    def add_line(self, order_id: str) -> None:
        self.lock()
        self.execute(
            "INSERT INTO catalogue_orderline (id, order_id, product_id, owner_id, quantity, quoted_price, version)"
            " SELECT %s, o.id, p.id, o.owner_id, %s, p.price, 0 FROM catalogue_order o, catalogue_product p"
            " WHERE o.id = %s AND o.status = 'draft' AND p.id = %s AND p.is_active",
            (self.new_id(), self.rng.randint(1, 9), order_id, self.rng.choice(self.ids)),
        )

    def change_order(self, order_id: str) -> None:
        op = self.rng.random()
        if op < 0.25:
            self.add_line(order_id)
        elif op < 0.4:
            self.execute(
                "UPDATE catalogue_orderline SET quantity = quantity + 1 WHERE id ="
                " (SELECT id FROM catalogue_orderline WHERE order_id = %s ORDER BY id LIMIT 1)",
                (order_id,),
            )
        elif op < 0.5:
            self.execute(
                "DELETE FROM catalogue_orderline WHERE id ="
                " (SELECT id FROM catalogue_orderline WHERE order_id = %s ORDER BY id LIMIT 1)",
                (order_id,),
            )
        elif op < 0.65:
            self.execute(
                "UPDATE catalogue_order SET status = 'submitted', submitted_at = now() WHERE id = %s"
                " AND status = 'draft'",
                (order_id,),
            )
        elif op < 0.85:  # given to another user (by staff): its lines go along
            owner = self.rng.choice(self.users)
            self.lock()
            self.execute("UPDATE catalogue_order SET owner_id = %s WHERE id = %s", (owner, order_id))
            self.execute(
                "UPDATE catalogue_orderline SET owner_id = %s WHERE order_id = %s AND owner_id <> %s",
                (owner, order_id, owner),
            )
        else:
            self.lock()
            self.execute("DELETE FROM catalogue_orderline WHERE order_id = %s", (order_id,))
            self.execute("DELETE FROM catalogue_order WHERE id = %s", (order_id,))
