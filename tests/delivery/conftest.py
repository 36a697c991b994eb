"""Delivery tests use the API client of tests/api."""

from tests.api.conftest import admin_key, client  # noqa: F401 (fixtures)
