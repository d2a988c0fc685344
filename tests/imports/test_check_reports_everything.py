"""The wizard's check reports every problem however many there are, and a refused file is named in its sentence."""
import time

import pytest

from controltower.imports import GENERIC
from controltower.imports.reading import read_csv_bytes
from controltower.imports.session import CheckSession
from controltower.kernel.errors import InputError

BAD_ORDERS = 4_100  # more problems than one message carries (2,000), so they come in three


def test_every_problem_of_a_big_file_reaches_the_wizard(tmp_path):
    path = tmp_path / "orders.csv"
    rows = [f"P-{n},Customer {n},{n} Elm St,Springfield,ABCDE,US,Pot,1" for n in range(BAD_ORDERS)]
    path.write_text("order_ref,customer_name,street,city,postcode,country,item,quantity\n" + "\n".join(rows) + "\n")
    session = CheckSession()
    try:
        session.load(path)
        checking = None
        replies: list[tuple] = []
        deadline = time.monotonic() + 120
        while not any(r[0] == "checked" for r in replies) and time.monotonic() < deadline:
            for reply in session.messages():
                replies.append(reply)
                if reply[0] == "loaded" and checking is None:
                    checking = session.check(GENERIC.in_zone("UTC"), {})
                assert reply[0] != "failed", reply
            time.sleep(0.05)
    finally:
        session.close()
    problems = [p for r in replies if r[0] == "problems" and r[1] == checking for p in r[2]]
    assert len(problems) == BAD_ORDERS
    assert sorted(p.row for p in problems) == list(range(2, BAD_ORDERS + 2))  # each file row once, none twice


@pytest.mark.parametrize("data", [b"", b"  \n "])
def test_an_empty_file_is_named_in_the_sentence(data):
    with pytest.raises(InputError) as refused:
        read_csv_bytes(data, "orders-monday.csv")
    assert refused.value.message == "orders-monday.csv is empty."
