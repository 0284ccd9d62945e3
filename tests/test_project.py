"""Project-level promises: settings documented, the engine's public face, package data."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import sync
from central_hub.settings import SETTINGS as HUB_SETTINGS
from sync import ValidationError
from ward_node.settings import SETTINGS as NODE_SETTINGS
from webapp import load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("settings", [HUB_SETTINGS, NODE_SETTINGS], ids=["hub", "node"])
def test_every_setting_is_documented_in_the_readme(settings) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _default, _help in settings:
        assert f"| `{name}` |" in readme, name


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SYNC_INTERVALL"):
        load_settings(
            NODE_SETTINGS, "WARD_NODE", {"DATA": str(tmp_path), "SYNC_INTERVALL": 5}, environ={}
        )
    values = load_settings(
        NODE_SETTINGS,
        "WARD_NODE",
        {"DATA": str(tmp_path)},
        environ={"WARD_NODE_SYNC_INTERVAL": "7"},
    )
    assert values["SYNC_INTERVAL"] == 7


def test_the_engine_exports_what_it_names_and_imports_no_flask() -> None:
    for name in sync.__all__:
        assert hasattr(sync, name), name
    for path in (ROOT / "sync").glob("*.py"):
        assert "flask" not in path.read_text(encoding="utf-8").lower(), path


# The layers (docs/architecture.md): the engine imports nothing of the project above it; the
# shared packages import the engine only; the apps import the shared packages and the engine,
# never each other.
LAYERS = {
    "sync": {"schemas"},  # the JSON Schemas are data, the single source of field names
    "office": {"sync", "schemas"},
    "webapp": {"sync", "schemas"},
    "central_hub": {"sync", "office", "webapp", "schemas"},
    "ward_node": {"sync", "office", "webapp", "schemas"},
}


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    project = set(LAYERS) | {"schemas", "tests", "bench"}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in project and top != package:
                    assert top in LAYERS[package], f"{path} imports {name}"


def _module_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports, at module level or inside functions alike.

    Imports of the module's own packages (their ``__init__`` runs before any of their
    modules) close no circle; those under ``if TYPE_CHECKING:`` count: a circle of
    annotations is a circle of ideas."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
        package = parts
    else:
        package = parts[:-1]
    name = ".".join(parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                found.add(
                    f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                )
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    ancestors = {".".join(parts[:i]) for i in range(1, len(parts))}
    return {m for m in found if m in modules and m != name and m not in ancestors}


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of ``graph`` with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in graph[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            part = {stack.pop()}
            while name not in part:
                part.add(stack.pop())
            if len(part) > 1:
                found.append(part)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    # Plumbing never imports the pages built on it, nor the engine its callers
    # (docs/architecture.md, "Layers"): a module's imports, function-level ones too, never
    # lead back to it.
    paths = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for package in LAYERS
        for p in (ROOT / package).rglob("*.py")
    }
    graph = {name: _module_imports(path, set(paths)) for name, path in paths.items()}
    assert [sorted(circle) for circle in _circles(graph)] == []


@pytest.mark.parametrize("package", ["office", "webapp"])
def test_the_shared_packages_export_what_they_name(package: str) -> None:
    module = __import__(package)
    for name in module.__all__:
        assert hasattr(module, name), name


def test_the_apps_import_the_engine_only_through_its_public_face() -> None:
    inner = re.compile(r"^\s*(from (sync|office|webapp)\.|import (sync|office|webapp)\.)", re.M)
    for app in ("central_hub", "ward_node", "office", "webapp"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not inner.search(text), path
            other = "ward_node" if app == "central_hub" else "central_hub"
            assert not re.search(rf"^\s*(from|import) {other}\b", text, re.M), path


def test_the_tray_loads_nothing_of_the_server() -> None:
    # The tray runs on the desk PCs, Windows ones included, without the node's server
    # (README, "Tray app"): importing it must not pull in Flask, the store or the engine.
    probe = (
        "import sys, ward_node, ward_node.tray, ward_node.tray.state; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'werkzeug', 'waitress', 'sync', 'office', 'webapp', 'sqlite3'})))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == ""


def test_a_wheel_carries_schemas_templates_and_static_files(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Data folders inside packages are listed in setup.cfg's package_data, not picked up as
    # packages: setuptools warns of each folder it would otherwise ignore (make demo's noise).
    assert "would be ignored" not in built.stdout + built.stderr
    wheel = next(tmp_path.glob("wardsync-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for app in ("ward_node", "central_hub", "webapp"):
        for path in (ROOT / app).rglob("*"):
            if path.is_file() and {"templates", "static", "assets"} & set(path.parts):
                assert path.relative_to(ROOT).as_posix() in names, path
    for needed in (
        "schemas/dossier.json",
        "schemas/changeset.json",
        "ward_node/templates/base.html",
        "ward_node/templates/dossiers/new.html",
        "ward_node/static/style.css",
        "webapp/assets/base.css",
        "webapp/templates/webapp/layout.html",
        "webapp/templates/webapp/login.html",
        "webapp/templates/webapp/error.html",
        "central_hub/static/console.css",
        "central_hub/reference/data.py",
    ):
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("ward-node", "central-hub", "ward-tray"):
        assert script in text


def test_the_demo_names_a_busy_port_in_one_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "central_hub",
                "demo",
                "--wards",
                "2",
                "--port",
                str(port),
                "--data",
                str(tmp_path / "demo"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Lỗi: Cổng {port} trên máy này đang được một chương trình khác dùng (có thể là một "
        "bản chạy thử khác): hãy dừng chương trình đó, hoặc chạy với cổng khác, ví dụ "
        "'central-hub demo --port 8900'."
    ]
    assert not (tmp_path / "demo").exists()


# The hub's persistence is one package (central_hub/store/, docs/architecture.md): the rest of
# the hub calls its functions and runs no SQL, so a second engine implements only that package.
SQL_OUTSIDE_STORE: set[str] = set()
_SQL_CALL = re.compile(r"\.(execute|executemany|executescript)\(")
# A row read by position: row[0], r[1], fetchone()[0], rows[i][2] ...
_ROW_BY_INDEX = re.compile(r"(\b(row|r|fine|stored|old|cur)\[-?\d+\]|fetch(one|all)\(\)\[-?\d+\])")


def test_the_hub_runs_sql_only_in_its_store() -> None:
    for path in sorted((ROOT / "central_hub").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("central_hub/store/") or name in SQL_OUTSIDE_STORE:
            continue
        assert not _SQL_CALL.search(path.read_text(encoding="utf-8")), name


def test_the_hub_reads_rows_by_column_name() -> None:
    for path in sorted((ROOT / "central_hub").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not _ROW_BY_INDEX.search(line), f"{path.relative_to(ROOT)}:{number}: {line}"


@pytest.mark.parametrize(
    ("module", "prog"),
    [("central_hub", "central-hub"), ("ward_node", "ward-node"), ("ward_node.tray", "ward-tray")],
)
def test_every_command_tells_its_version(module: str, prog: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{prog} {sync.RELEASE}"
