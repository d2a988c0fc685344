"""The layers keep their promises: the core imports no Qt, the domain is plain Python, nothing below imports the UI."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--config", str(ROOT / ".importlinter")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


# --- Widgets see services and domain values only: no store imports, no SQL, no connections under controltower/ui.
import ast  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

UI = ROOT / "controltower" / "ui"
# SQL as this code base writes it (keywords in capitals); the English of a label ("Select an order") never matches.
SQL = re.compile(r"\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|"
                 r"\bDELETE\s+FROM\b|\bREPLACE\s+INTO\b|\bPRAGMA\b")
# What only a database connection (or the store's Database) does.
CONNECTION_CALLS = {"execute", "executemany", "executescript", "reader", "transaction", "scalar", "get_setting",
                    "set_setting"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the module, relative ones resolved."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def ui_violations(path: Path) -> list[str]:
    """What in one UI module reaches past the services: store imports, SQL text, connection calls."""
    return violations(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py",
                      str(path.relative_to(ROOT)))


def violations(source: str, module: str, is_package: bool, where: str) -> list[str]:
    tree = ast.parse(source, where)
    problems = [f"{where}:{line}: imports {name}" for line, name in _imported(tree, module, is_package)
                if name == "controltower.store" or name.startswith("controltower.store.")]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            problems.append(f"{where}:{node.lineno}: SQL {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CONNECTION_CALLS:
            problems.append(f"{where}:{node.lineno}: calls .{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            problems.append(f"{where}:{node.lineno}: uses a connection (.conn)")
    return problems


@pytest.mark.parametrize("path", sorted(UI.rglob("*.py")), ids=lambda p: str(p.relative_to(UI)))
def test_ui_modules_see_services_only(path):
    problems = ui_violations(path)
    assert not problems, "widgets must ask a service instead:\n" + "\n".join(problems)


def test_the_ui_scan_catches_sql_store_imports_and_connections():
    planted = ('from ...store import orders\n'
               'from ... import store\n'
               'def load(db):\n'
               '    db.reader().execute(f"SELECT id FROM orders WHERE id = {1}")\n'
               '    with db.transaction() as conn:\n'
               '        conn.execute("UPDATE orders SET status = ?", ("x",))\n'
               '    return db.conn\n')
    found = violations(planted, "controltower.ui.orders.planted", False, "planted.py")
    assert [problem.split(": ", 1)[1].split(" ")[0:2] for problem in found if "imports" in problem] == \
        [["imports", "controltower.store.orders"], ["imports", "controltower.store"]]
    assert sum("SQL" in problem for problem in found) == 2
    assert {problem.rsplit(" ", 1)[1] for problem in found if "calls" in problem} == {".reader()", ".execute()",
                                                                                       ".transaction()"}
    assert any("(.conn)" in problem for problem in found)
