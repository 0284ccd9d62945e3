"""The ward's trust in the hub's certificate (docs/operations.md, "HTTPS"): ``HUB_CA_BUNDLE``
reaches the transport, and a bundle that is missing or holds no certificate stops the node at
start with what to do, before any sync is tried."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import HttpTransport, ValidationError
from tests.support import make_ward_data
from tests.support.tls import make_pki
from ward_node import create_app
from ward_node.settings import PREFIX, SETTINGS, hub_link
from webapp import load_settings


def _settings(tmp_path: Path, bundle: str) -> dict[str, object]:
    return load_settings(
        SETTINGS, PREFIX, {"DATA": str(tmp_path)}, environ={"WARD_NODE_HUB_CA_BUNDLE": bundle}
    )


def test_the_bundle_reaches_the_transport(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    options = hub_link(_settings(tmp_path, str(pki.ca)))
    assert options["ca_bundle"] == str(pki.ca)
    transport = HttpTransport("https://127.0.0.1:1", **options)
    try:
        assert transport.session.verify == str(pki.ca)
    finally:
        transport.close()
    # None given: requests' own CAs, never "no check".
    assert "ca_bundle" not in hub_link(_settings(tmp_path, ""))
    default = HttpTransport("https://127.0.0.1:1", **hub_link(_settings(tmp_path, "")))
    assert default.session.verify is True
    default.close()


def test_a_missing_or_empty_bundle_stops_the_node_at_start(tmp_path: Path) -> None:
    data = make_ward_data(tmp_path / "ward")
    with pytest.raises(ValidationError, match="không đọc được tệp .*hub-ca.pem"):
        create_app({"DATA": str(data), "HUB_CA_BUNDLE": str(tmp_path / "hub-ca.pem")})
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    with pytest.raises(ValidationError, match="không chứa chứng chỉ PEM nào"):
        create_app({"DATA": str(data), "HUB_CA_BUNDLE": str(tmp_path / "empty.pem")})
