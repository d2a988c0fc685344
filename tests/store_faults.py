"""Shared by the store-safety tests: orders written through Database.transaction, and a disk fault behind its back."""
import os


def add_orders(db, count, prefix="O", created="2026-11-25T10:00:00+00:00"):
    """`count` orders of about 200 bytes each in one transaction (3,000 make a store of about 1.5 MB)."""
    with db.transaction() as conn:
        conn.executemany(
            "INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
            "VALUES (?, ?, ?, ?, 'standard')", [(f"{prefix}{n}", created, created, "x" * 200) for n in range(count)])


def damage(path):
    """8 KB of random bytes in the middle of the file, as a failing disk or a bad copy leaves them."""
    with open(path, "r+b") as file:
        file.seek(path.stat().st_size // 2)
        file.write(os.urandom(8192))
