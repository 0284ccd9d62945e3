"""The systemd units of ``deploy/systemd/`` (README, "Vận hành"): ``systemd-analyze verify``
passes on them, and fails on a broken copy, so a typo in a directive cannot ship; they keep
the promised hardening; their environment files name only settings the apps know."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from central_hub.settings import PREFIX as HUB_PREFIX
from central_hub.settings import SETTINGS as HUB_SETTINGS
from tests.support import ROOT
from ward_node.settings import PREFIX as NODE_PREFIX
from ward_node.settings import SETTINGS as NODE_SETTINGS
from webapp import load_settings, trusted_networks

SYSTEMD = ROOT / "deploy" / "systemd"
ANALYZE = shutil.which("systemd-analyze")
INSTALLED_BIN = "/opt/wardsync/venv/bin/"
UNITS = {"hub": "wardsync-hub.service", "ward": "wardsync-ward.service"}

needs_systemd = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def _verify(unit: Path) -> list[str]:
    """What ``systemd-analyze verify`` finds wrong in ``unit``: its exit status and every line
    it prints about the file (it exits 0 on an unknown key or a bad value, only warning)."""
    done = subprocess.run(
        [str(ANALYZE), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if unit.name in ln]
    if done.returncode != 0:
        lines.insert(0, f"exit status {done.returncode}")
    return lines


def _copy(tmp_path: Path, name: str, edit: tuple[str, str] | None = None) -> Path:
    """The unit ``name`` with its ExecStart on this venv's entry point (verify needs the program
    to exist), and ``edit`` (old, new) applied."""
    text = (SYSTEMD / name).read_text(encoding="utf-8")
    assert INSTALLED_BIN in text
    text = text.replace(INSTALLED_BIN, str(Path(sys.executable).parent) + "/")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@needs_systemd
@pytest.mark.parametrize("name", UNITS.values())
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path, name: str) -> None:
    assert _verify(_copy(tmp_path, name)) == []


@needs_systemd
@pytest.mark.parametrize(
    "edit",
    [
        ("ProtectSystem=strict", "ProtectSystem=strct"),
        ("Restart=on-failure", "Restrat=on-failure"),
        ("NoNewPrivileges=yes", "NoNewPrivileges=maybe"),
        (" serve ", "-missing serve "),  # the program does not exist
    ],
    ids=["bad-value", "unknown-key", "bad-boolean", "no-program"],
)
def test_a_broken_unit_fails_the_check(tmp_path: Path, edit: tuple[str, str]) -> None:
    assert _verify(_copy(tmp_path, UNITS["hub"], edit)) != []


def _directives(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("app", UNITS)
def test_the_units_run_as_their_own_user_restart_and_are_hardened(app: str) -> None:
    unit = _directives(UNITS[app])
    exec_start = unit["ExecStart"][0]
    data = re.search(r"--data (\S+)", exec_start)
    assert data is not None
    assert "--host 127.0.0.1" in exec_start  # behind the proxy, never on the network itself
    assert unit["User"] == ["wardsync"] and unit["Group"] == ["wardsync"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["EnvironmentFile"] == [f"/etc/wardsync/{app}.env"]
    assert unit["ReadWritePaths"] == [data.group(1)]
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
    }.items():
        assert unit[key] == [value], key


ENV_FILES = {"hub": (HUB_PREFIX, HUB_SETTINGS), "ward": (NODE_PREFIX, NODE_SETTINGS)}


@pytest.mark.parametrize("app", ENV_FILES)
def test_the_environment_files_set_only_settings_the_apps_know(tmp_path: Path, app: str) -> None:
    prefix, settings = ENV_FILES[app]
    known = {name for name, _default, _help in settings}
    given: dict[str, str] = {}
    for line in (SYSTEMD / f"{app}.env").read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?([A-Z_]+)=(.*)$", line)
        if match is None:
            continue
        key, value = match.groups()
        assert key.startswith(prefix + "_") and key[len(prefix) + 1 :] in known, key
        if not line.startswith("#"):
            given[key] = value
    values = load_settings(settings, prefix, {"DATA": str(tmp_path)}, environ=given)
    assert values["HTTPS"] is True
    assert [str(n) for n in trusted_networks(values["TRUSTED_PROXIES"])] == ["127.0.0.1/32"]
