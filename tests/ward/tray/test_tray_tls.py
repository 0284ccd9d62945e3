"""The tray and a ward node served over https with the city's own CA (docs/operations.md,
"HTTPS"): the tray trusts the node's certificate through ``--ca-bundle`` (or
``WARD_TRAY_CA_BUNDLE``, or ``ca_bundle`` in its config file), says so plainly when it is
missing, and refuses a bundle that is not one at start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.support import PASSWORD, make_ward_data
from tests.support.tls import Pki, make_pki
from ward_node import create_app, tray
from ward_node.tray import NodeClient, NodeUnreachable, NodeUntrusted

TRAY_ENV = ("USER", "PASSWORD", "PASSWORD_FILE", "NODE", "CA_BUNDLE")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[str]:
    """A ward node on https, its certificate signed by the test's CA."""
    app = create_app({"DATA": str(make_ward_data(tmp_path_factory.mktemp("tls") / "ward"))})
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, ssl_context=(str(pki.cert), str(pki.key))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def tray_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in TRAY_ENV:
        monkeypatch.delenv(f"WARD_TRAY_{name}", raising=False)
    monkeypatch.setenv("WARD_TRAY_USER", "officer")
    monkeypatch.setenv("WARD_TRAY_PASSWORD", PASSWORD)
    return tmp_path


def test_the_tray_trusts_the_node_through_the_citys_ca_and_says_when_it_cannot(
    node_url: str, pki: Pki
) -> None:
    status = NodeClient(node_url, "officer", PASSWORD, ca_bundle=str(pki.ca)).status()
    assert "pending_changes" in status
    with pytest.raises(NodeUntrusted, match="chứng chỉ không tin cậy được.*--ca-bundle"):
        NodeClient(node_url, "officer", PASSWORD).status()
    assert issubclass(NodeUntrusted, NodeUnreachable)  # what catches one catches the other


@pytest.mark.parametrize("how", ["flag", "environment", "config file"])
def test_once_over_https_takes_the_bundle_from_each_place(
    node_url: str,
    pki: Pki,
    tray_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    args = ["--once", "--node", node_url]
    if how == "flag":
        args += ["--ca-bundle", str(pki.ca)]
    elif how == "environment":
        monkeypatch.setenv("WARD_TRAY_CA_BUNDLE", str(pki.ca))
    else:
        (tray_env / "ward-tray").mkdir()
        (tray_env / "ward-tray" / "config.json").write_text(f'{{"ca_bundle": "{pki.ca}"}}')
    assert tray.main(args) == 0, capsys.readouterr()
    assert tray.main(["--once", "--node", node_url, "--config", str(tray_env / "none.json")]) == 2
    capsys.readouterr()
    monkeypatch.delenv("WARD_TRAY_CA_BUNDLE", raising=False)
    if how != "config file":
        assert tray.main(["--once", "--node", node_url]) == 1  # no bundle: not trusted
        assert "không tin được chứng chỉ https" in capsys.readouterr().out


def test_a_bundle_that_is_not_one_is_refused_at_start(
    tmp_path: Path, tray_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("không phải chứng chỉ\n", encoding="utf-8")
    for bundle, words in (
        (tmp_path / "missing.pem", "không đọc được tệp CA"),
        (not_pem, "không chứa chứng chỉ PEM"),
    ):
        assert tray.main(["--once", "--ca-bundle", str(bundle)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0] and "--ca-bundle" in err[0]


def test_autostart_keeps_the_bundle(
    pki: Pki, tray_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD)
    monkeypatch.delenv("WARD_TRAY_PASSWORD")
    assert (
        tray.main(
            ["--install-autostart", "--password-file", str(secret), "--ca-bundle", str(pki.ca)]
        )
        == 0
    )
    entry = (tray_env / "autostart" / "ward-tray.desktop").read_text(encoding="utf-8")
    assert f"--ca-bundle {pki.ca}" in entry
