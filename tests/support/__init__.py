"""What the tests share: the one cluster factory (real processes), enrolled nodes in-process,
one login helper per kind of client, the one poll helper, and the tests' users and data.

    cluster.py    a hub and ward nodes as real processes (Cluster, running_cluster, Server)
    nodes.py      an enrolled ward node in-process against the hub's Flask app (AppTransport)
    clients.py    logging in over HTTP: ward API and pages, hub API, console pages
    browser.py    Chromium, the browser marks, logging in through the form in a page
    waiting.py    wait_until: poll a condition with a deadline
    users.py      the password, adding staff to a ward node or the hub
    ward_data.py  a ward node's data folder without a hub; scan-shaped PDFs
"""

from tests.support.browser import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    console_page,
    desk_page,
    log_in,
    new_page,
)
from tests.support.clients import (
    Api,
    console_login,
    csrf_of,
    hub_token,
    token,
    ward_login,
    web_session,
)
from tests.support.cluster import (
    ROOT,
    Cluster,
    Server,
    code_env,
    env,
    free_port,
    query,
    run,
    running_cluster,
)
from tests.support.hubstore import hub_db, hub_query, hub_store
from tests.support.nodes import (
    AppTransport,
    enrolled_node,
    enrollment_token,
    node_session,
    receive_dossiers,
    synced_session,
)
from tests.support.users import PASSWORD, add_hub_user, add_ward_user
from tests.support.waiting import wait_until
from tests.support.ward_data import UNIT, make_ward_data, scan_pdf

__all__ = [
    "hub_db",
    "hub_query",
    "hub_store",
    "BROWSER_MARKS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PASSWORD",
    "ROOT",
    "UNIT",
    "Api",
    "AppTransport",
    "Cluster",
    "Server",
    "add_hub_user",
    "add_ward_user",
    "code_env",
    "console_login",
    "console_page",
    "csrf_of",
    "desk_page",
    "enrolled_node",
    "enrollment_token",
    "env",
    "free_port",
    "hub_token",
    "log_in",
    "make_ward_data",
    "new_page",
    "node_session",
    "query",
    "receive_dossiers",
    "run",
    "running_cluster",
    "scan_pdf",
    "synced_session",
    "token",
    "wait_until",
    "ward_login",
    "web_session",
]
