"""Fixtures of the data-safety tests."""

import pytest
from django.core.management.sql import emit_post_migrate_signal


@pytest.fixture(autouse=True)
def _rows_migrations_create(request):
    """Transactional tests start from what the previous one left, which may be a database emptied without its
    migration-made rows (a flush after a ``serialized_rollback`` test): put back content types, permissions and
    provinces, as ``migrate`` (and a plain flush) does. These tests run without ``serialized_rollback`` so that
    they leave those rows behind for the tests after them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
