"""Installing where there is no internet (README, "Vận hành"): ``make wheelhouse`` builds
wardsync and every runtime dependency as wheels; a fresh venv installs from that folder alone,
the package index switched off, and the installed commands run from it (not this checkout)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync import RELEASE
from tests.support import ROOT

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent


def _offline_env() -> dict[str, str]:
    """No index, no configuration that could name one, no proxy, nothing of this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env = {k: v for k, v in env.items() if not k.lower().endswith("_proxy")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.skipif(
    not (VENV / ".created").exists(), reason=f"{VENV} was not made by make (no .created)"
)
def test_a_fresh_venv_installs_from_the_wheelhouse_with_the_index_off(tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run(
        ["make", "-C", str(ROOT), "wheelhouse", f"VENV={VENV}", f"WHEELHOUSE={wheelhouse}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert f"wardsync-{RELEASE}-py3-none-any.whl" in wheels
    assert (wheelhouse / "SHA256SUMS").read_text().count(".whl") == len(wheels)

    target = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, timeout=120)
    installed = subprocess.run(
        [
            str(target / "bin" / "pip"),
            "install",
            "--no-index",
            "--no-compile",  # faster; byte-compiling is no part of what is tested
            "--find-links",
            str(wheelhouse),
            "wardsync[postgresql]",
        ],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=tmp_path,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    for command in ("ward-node", "central-hub"):
        version = subprocess.run(
            [str(target / "bin" / command), "--version"],
            capture_output=True,
            text=True,
            env=_offline_env(),
            cwd=tmp_path,
            timeout=60,
            check=True,
        )
        assert version.stdout.strip() == f"{command} {RELEASE}"
    # The installed package carries its data (schemas, reference data): a hub can be made.
    made = subprocess.run(
        [str(target / "bin" / "central-hub"), "init", "--data", str(tmp_path / "hub")],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    where = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import ward_node; print(ward_node.__file__)"],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=tmp_path,
        timeout=60,
        check=True,
    ).stdout
    assert where.startswith(str(target)), where
