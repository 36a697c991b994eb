"""Delivery tests use the API client of tests/api."""

from tests.api.conftest import client  # noqa: F401 (a fixture)
