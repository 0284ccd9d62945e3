"""Project-level promises: settings documented, the engine's public face, package data."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import sync
from central_hub.settings import SETTINGS as HUB_SETTINGS
from sync import ValidationError, load_settings
from ward_node.settings import SETTINGS as NODE_SETTINGS

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


def test_the_apps_import_the_engine_only_through_its_public_face() -> None:
    inner = re.compile(r"^\s*(from sync\.|import sync\.)", re.M)
    for app in ("central_hub", "ward_node"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not inner.search(text), path
            other = "ward_node" if app == "central_hub" else "central_hub"
            assert not re.search(rf"^\s*(from|import) {other}\b", text, re.M), path


def test_a_wheel_carries_schemas_templates_and_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("wardsync-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "schemas/dossier.json",
        "schemas/changeset.json",
        "ward_node/templates/base.html",
        "ward_node/templates/dossiers/new.html",
        "ward_node/static/style.css",
        "sync/assets/base.css",
        "central_hub/static/console.css",
        "central_hub/reference_data.py",
    ):
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("ward-node", "central-hub", "ward-tray"):
        assert script in text
