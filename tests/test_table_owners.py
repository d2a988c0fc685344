"""One owner per table: only the module named in controltower/store/owners.py writes a table's SQL; the rest call it."""
from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from controltower.store.owners import MIGRATIONS, OWNERS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "controltower"
RUN_TIME = "{…}"  # stands for a value only known when the code runs: an f-string's {field}, `"..." + name`

_NAME = r"[\"`\[]?([\w{}…%]+)[\"`\]]?"
WRITES = re.compile(
    rf"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+{_NAME}"
    rf"|\bREPLACE\s+INTO\s+{_NAME}"
    rf"|\bUPDATE\s+(?:OR\s+\w+\s+)?{_NAME}\s+SET\b"
    rf"|\bDELETE\s+FROM\s+{_NAME}", re.IGNORECASE)
# A trigger's body runs inside the store; the schema that creates it is the migrations' business.
TRIGGER = re.compile(r"\bCREATE\s+(?:TEMP\w*\s+)?TRIGGER\b.*?\bEND\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Write:
    table: str  # RUN_TIME inside it when the name is built at run time
    line: int


class _Strings(ast.NodeVisitor):
    """Every string the code runs with, in source order; docstrings and other bare string statements are prose."""

    def __init__(self) -> None:
        self.found: list[tuple[int, int, str]] = []  # (line, column, text)

    def visit_Expr(self, node: ast.Expr) -> None:
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.found.append((node.lineno, node.col_offset, node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.found.append((node.lineno, node.col_offset, _text(node)))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        parts = _added(node)
        if isinstance(node.op, ast.Add) and any(_is_text(part) for part in parts):
            self.found.append((node.lineno, node.col_offset, "".join(_text(part) for part in parts)))
        else:
            self.generic_visit(node)


def _added(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _added(node.left) + _added(node.right)
    return [node]


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) if isinstance(part, ast.Constant) else RUN_TIME for part in node.values)
    return RUN_TIME


def table_writes(source: str, filename: str = "<source>") -> list[Write]:
    """The tables a module's code writes, with the line of each write.

    Adjacent literals ("UPDATE orders " "SET ..."), f-strings, `+` and SQL assembled over several statements are
    read as one text: the module's strings are joined in source order before the SQL is looked for.
    """
    strings = _Strings()
    strings.visit(ast.parse(source, filename))
    starts, lines, pieces, offset = [], [], [], 0
    for line, _column, text in sorted(strings.found):
        starts.append(offset)
        lines.append(line)
        pieces.append(text)
        offset += len(text) + 1
    joined = TRIGGER.sub(lambda match: " " * len(match.group()), "\n".join(pieces))
    writes = []
    for match in WRITES.finditer(joined):
        table = next(group for group in match.groups() if group is not None)
        if table.upper() == "SET":
            continue
        piece = bisect.bisect_right(starts, match.start()) - 1
        line = lines[piece] + joined[starts[piece]:match.start()].count("\n")
        writes.append(Write(RUN_TIME if any(c in table for c in "{}…%") else table.lower(), line))
    return writes


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(source: str, module: str, where: str) -> list[str]:
    """Each write in one module that is not its owner's, as a sentence naming the owner."""
    problems = []
    for write in table_writes(source, where):
        owner = OWNERS.get(write.table)
        if write.table == RUN_TIME:
            problems.append(f"{where}:{write.line}: a table named at run time is written by module {module}; "
                            "name the table in the SQL so its owner can be checked")
        elif owner is None:
            problems.append(f"{where}:{write.line}: table {write.table} is written by module {module}; "
                            "it has no owner in controltower/store/owners.py")
        elif owner != module:
            problems.append(f"{where}:{write.line}: table {write.table} is written by module {module}; its owner is {owner}")
    return problems


def all_violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module == MIGRATIONS:  # the schema's owner: creates every table and its triggers
            continue
        problems += violations(path.read_text(encoding="utf-8"), module, str(path.relative_to(ROOT)))
    return problems


def test_every_table_is_written_only_by_its_owner():
    problems = all_violations()
    assert not problems, "call the owner's functions instead:\n" + "\n".join(problems)


def test_every_table_in_the_schema_has_an_owner_that_exists():
    created = set()
    for path in [*PACKAGE.rglob("*.sql"), *PACKAGE.rglob("*.py")]:
        created.update(name.lower() for name in re.findall(
            r"CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", path.read_text(encoding="utf-8")))
    assert sorted(created - set(OWNERS)) == []
    missing = {owner for owner in OWNERS.values()
               if not (ROOT / (owner.replace(".", "/") + ".py")).exists()}
    assert missing == set()


def test_the_scan_reads_split_formatted_and_assembled_sql():
    planted = (
        'COLUMNS = "lat = ?, lon = ?"\n'
        'def move(conn, order_id, table="orders"):\n'
        '    """Update orders set lat: prose in a docstring is not SQL."""\n'
        '    conn.execute("UPDATE orders "\n'
        '                 "SET status = ? WHERE id = ?", ("x", order_id))\n'
        '    conn.execute(f"UPDATE orders SET {COLUMNS} WHERE id = ?", (1, 2, order_id))\n'
        '    sql = "INSERT OR REPLACE INTO "\n'
        '    sql += "outbox(kind) VALUES (?)"\n'
        '    conn.execute("DELETE FROM " + table)\n'
        '    conn.execute("INSERT INTO notes(a) VALUES (?) ON CONFLICT(a) DO UPDATE SET a = excluded.a", (1,))\n'
        '    conn.executescript("CREATE TRIGGER t AFTER INSERT ON orders BEGIN DELETE FROM stops; END;")\n'
        '    return conn.execute("SELECT * FROM orders").fetchall()\n'
    )
    assert table_writes(planted) == [Write("orders", 4), Write("orders", 6), Write("outbox", 7),
                                     Write(RUN_TIME, 9), Write("notes", 10)]
    assert violations(planted, "controltower.control.eta", "eta.py") == [
        "eta.py:4: table orders is written by module controltower.control.eta; its owner is controltower.store.orders",
        "eta.py:6: table orders is written by module controltower.control.eta; its owner is controltower.store.orders",
        "eta.py:7: table outbox is written by module controltower.control.eta; its owner is controltower.sync.outbox",
        "eta.py:9: a table named at run time is written by module controltower.control.eta; "
        "name the table in the SQL so its owner can be checked",
        "eta.py:10: table notes is written by module controltower.control.eta; "
        "it has no owner in controltower/store/owners.py",
    ]
