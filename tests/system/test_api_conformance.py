"""Schemathesis against a live hub and a live ward node (real waitress servers on loopback,
authenticated with API tokens): every operation of each app's OpenAPI description
(``/api/v1/openapi.json``) is called with generated requests, valid and invalid ones, a
bounded number per operation; no answer may be a 5xx or differ from the description (status
code, content type, body schema, headers). What it found was fixed in the apps, not excluded
(docs/architecture.md, "HTTP surfaces")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central_hub import api_description as hub_api
from tests.support import Cluster, add_hub_user, running_cluster, token
from ward_node import api_description as ward_api
from webapp import openapi

UNIT = "19786"
# Examples per operation and mode: 38 operations a side fit in a few minutes on CI's machine.
EXAMPLES = int(os.environ.get("WARDSYNC_API_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
HUB_DOC = openapi.bundle(hub_api.describe())
WARD_DOC = openapi.bundle(ward_api.describe())


def operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((path, method) for method, path in openapi.described(doc))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and one ward node, served; the ward syncs only when asked."""
    with running_cluster(tmp_path_factory.mktemp("conformance"), UNIT, interval=3600) as found:
        add_hub_user(found.hub_data, "quantri", "admin")
        yield found


@pytest.fixture(scope="module")
def ward_url(cluster: Cluster) -> str:
    url = cluster.wards[UNIT].url
    # The description the ward serves is the one this module tests.
    assert openapi_of(url) == WARD_DOC
    return url


@pytest.fixture(scope="module")
def hub_url(cluster: Cluster) -> str:
    assert openapi_of(cluster.hub_url) == HUB_DOC
    return cluster.hub_url


def openapi_of(url: str) -> Any:
    import requests

    resp = requests.get(url + "/api/v1/openapi.json", timeout=10)
    assert resp.status_code == 200
    return resp.json()


def exercise(doc: dict[str, Any], path: str, method: str, url: str, auth: dict[str, str]) -> None:
    """Generated requests for one operation against the server at ``url``, checked."""
    schema = schemathesis.openapi.from_dict(doc)
    operation = schema[path][method]
    spec = doc["paths"][path]
    has_input = bool(spec.get("parameters") or spec[method].get("parameters"))
    has_input = has_input or "requestBody" in spec[method]
    # An operation that takes nothing has no invalid request to make.
    for mode in MODES if has_input else MODES[:1]:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=auth, checks=CHECKS, timeout=30)

        try:
            run()
        except Unsatisfiable:
            # Only a string path parameter to break, which any string satisfies.
            if mode is not schemathesis.GenerationMode.NEGATIVE:
                raise


@pytest.mark.parametrize(("path", "method"), operations(WARD_DOC))
def test_the_ward_node_answers_as_described(ward_url: str, path: str, method: str) -> None:
    exercise(WARD_DOC, path, method, ward_url, token(ward_url))


@pytest.mark.parametrize(("path", "method"), operations(HUB_DOC))
def test_the_hub_answers_as_described(hub_url: str, path: str, method: str) -> None:
    exercise(HUB_DOC, path, method, hub_url, token(hub_url, "quantri"))
