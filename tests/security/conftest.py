"""Fixtures of the security tests: enrolled wards beside the hub (``make_ward``, defined with
the attachment tests), found by pytest through this import."""

from tests.hub.protocol.test_attachments import make_ward  # noqa: F401
