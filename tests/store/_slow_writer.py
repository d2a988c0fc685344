"""A writer process for the crash test: the real import of a 10,000-order file (one transaction), slowed to a
stop at each point the test may kill it. At each point it prints the point's name and how many orders its open
transaction has written, then waits for a line on stdin before going on."""
import sys

from controltower.imports import GENERIC, assemble, import_file, importer
from controltower.store import Database

assemble.CHUNK_ROWS = 2_000  # five slices, so there are points between the first rows and the last


def pause(db: Database, point: str) -> None:
    written = db.conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    lines = db.conn.execute("SELECT count(*) FROM order_lines").fetchone()[0]
    print(point, written, lines, flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    db = Database(sys.argv[1])
    record = importer._record

    def record_then_pause(conn, *args):  # the last write before COMMIT
        record(conn, *args)
        pause(db, "before-commit")

    importer._record = record_then_pause
    saved = [0]

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "saving":
            saved[0] += 1
            pause(db, "committed" if done == total else f"slice-{saved[0]}")

    import_file(db, sys.argv[2], GENERIC, progress=progress)
    print("done", flush=True)
