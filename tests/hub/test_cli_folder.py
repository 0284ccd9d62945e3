"""A ``central-hub`` command pointed at a folder that holds no hub says so in one line, and
creates nothing there (``enrollment list`` and ``user list`` once printed SQLite's traceback,
"unable to open database file")."""

from __future__ import annotations

from pathlib import Path

import pytest

from central_hub import cli as hub_cli


@pytest.mark.parametrize(
    "command", [["enrollment", "list"], ["user", "list"], ["enroll", "--unit", "19786"]]
)
def test_a_command_on_a_missing_folder_says_to_init_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "khong-co"
    assert hub_cli.main([*command, "--data", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: Thư mục") and "central-hub init" in err, err
    assert err.count("\n") == 1, err
    assert not missing.exists()
