"""Writes docs/architecture.md from the code: the parts and their imports, the layer rules and each table's owner.

    .venv/bin/python tools/architecture.py            # print it
    .venv/bin/python tools/architecture.py --write    # update docs/architecture.md

tests/test_architecture_doc.py fails when the file is not what this prints, so the picture never drifts from the code.
"""
from __future__ import annotations

import argparse
import ast
import configparser
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "controltower"
DOC = ROOT / "docs" / "architecture.md"
sys.path.insert(0, str(ROOT))

from controltower.store.owners import OWNERS  # noqa: E402

# Top to bottom: imports should point down this list (STYLE.md, "Our layout").
LAYERS = [
    ("Wiring", ["app", "cli"]),
    ("UI", ["ui"]),
    ("Services", ["services", "api"]),
    ("Demo (sandbox couriers, generated days)", ["demo"]),
    ("Core", ["control", "dispatch", "routing", "sync", "imports", "exports", "geocoding", "maps", "area", "forecast"]),
    ("Adapters and store", ["carriers", "store"]),
    ("Domain", ["domain"]),
    ("Shared kernel", ["kernel", "logs"]),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every controltower module this file imports, relative imports resolved, lazy (in-function) ones included."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            # `from . import case_store` names a module; `from ..store import Database` a name in one.
            found.update(f"{target}.{alias.name}" if node.module is None else target for alias in node.names)
    return {name for name in found if name.startswith("controltower.")}


def part_of(module: str) -> str:
    """The top-level package or module under controltower a module belongs to."""
    return module.split(".")[1]


def part_edges() -> Counter:
    """(importing part, imported part) -> how many module-to-module imports make that arrow."""
    edges: Counter = Counter()
    known = set(parts())
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "__init__.py":
            continue
        source = part_of(module_name(path))
        for imported in imports_of(path):
            # A name from the package itself (`from .. import __version__`) is no part's.
            if part_of(imported) != source and part_of(imported) in known:
                edges[(source, part_of(imported))] += 1
    return edges


def parts() -> list[str]:
    return sorted({Path(path.relative_to(PACKAGE).parts[0]).stem for path in PACKAGE.rglob("*.py")} - {"__init__"})


def layer_of(part: str) -> int:
    return next((i for i, (_name, members) in enumerate(LAYERS) if part in members), len(LAYERS))


def mermaid(edges: Counter, all_parts: list[str]) -> list[str]:
    lines = ["```mermaid", "flowchart TB"]
    layers = LAYERS + [("Other", [p for p in all_parts if layer_of(p) == len(LAYERS)])]
    for index, (title, members) in enumerate(layers):
        present = [p for p in members if p in all_parts]
        if not present:
            continue
        lines.append(f'    subgraph layer{index}["{title}"]')
        lines += [f"        {p}" for p in present]
        lines.append("    end")
    for (source, target), count in sorted(edges.items()):
        lines.append(f"    {source} -->|{count}| {target}")
    lines.append("```")
    return lines


def upward(edges: Counter) -> list[str]:
    """Arrows from a lower layer to a higher one: each is a place the layering is not yet kept."""
    return [f"| {source} | {target} | {count} |" for (source, target), count in sorted(edges.items())
            if layer_of(source) > layer_of(target)]


def layer_rules() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    rules = []
    for section in config.sections():
        if not section.startswith("importlinter:contract:"):
            continue
        contract = config[section]
        sources = ", ".join(f"`{m.strip()}`" for m in contract.get("source_modules", "").split() if m.strip())
        forbidden = ", ".join(f"`{m.strip()}`" for m in contract.get("forbidden_modules", "").split() if m.strip())
        direct = " (direct imports only)" if contract.get("allow_indirect_imports", "").strip() == "True" else ""
        rules.append(f"- **{contract['name']}** ({contract['type']}): {sources} must not import {forbidden}{direct}.")
    return rules


def owners_table() -> list[str]:
    by_owner: dict[str, list[str]] = {}
    for table, owner in OWNERS.items():
        by_owner.setdefault(owner, []).append(table)
    return ["| Module | Tables it alone writes |", "|---|---|"] + [
        f"| `{owner}` | {', '.join(f'`{t}`' for t in sorted(tables))} |" for owner, tables in sorted(by_owner.items())]


def render() -> str:
    edges = part_edges()
    all_parts = parts()
    lines = [
        "# Control Tower: the parts and their arrows",
        "",
        "Generated by `tools/architecture.py` from the imports under `controltower/`, the contracts in `.importlinter`",
        "and the owners in `controltower/store/owners.py`; do not edit by hand (`.venv/bin/python tools/architecture.py "
        "--write`).",
        "",
        "## Parts",
        "",
        "Each box is a package (or top-level module) of `controltower`; an arrow A → B means modules in A import",
        "modules in B, labelled with how many module-to-module imports make it. Layers run top to bottom.",
        "",
        *mermaid(edges, all_parts),
        "",
        "## Arrows that point up",
        "",
        "Imports from a lower layer to a higher one in the picture above (the layers as `STYLE.md` lays them out).",
        "",
    ]
    up = upward(edges)
    lines += (["| From | To | Imports |", "|---|---|---|", *up] if up else ["None."])
    lines += [
        "",
        "## Layer rules",
        "",
        "Checked by `lint-imports` (tests/test_architecture.py):",
        "",
        *layer_rules(),
        "",
        "## Who writes each table",
        "",
        "Only the owner writes a table's SQL; everything else calls the owner's named functions",
        "(tests/test_table_owners.py scans every module and fails on a write elsewhere).",
        "",
        *owners_table(),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(ROOT)} instead of printing")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
