"""A writer process for the crash test: imports N orders with their lines in one transaction, slowly."""
import sys
import time
from datetime import datetime, timezone

from controltower.domain import Address, DeliveryOption, Money, Order, OrderLine
from controltower.store import Database
from controltower.store import orders as order_store


def orders(count: int):
    now = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
    for n in range(count):
        yield Order(f"K-{n:05d}", f"Customer {n}", Address(f"{n} Oak St", "Portland", "97214"), DeliveryOption.STANDARD, now,
                    value=Money(1000), lines=(OrderLine("A", "Pot", 1), OrderLine("B", "Soil", 2), OrderLine("C", "Fern", 1)))
        if n == count // 3:
            print("halfway", flush=True)  # the test kills us after this
            time.sleep(30)


if __name__ == "__main__":
    db = Database(sys.argv[1])
    with db.transaction() as conn:
        order_store.upsert_orders(conn, orders(int(sys.argv[2])))
    print("done", flush=True)
