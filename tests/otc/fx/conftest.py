"""Fixtures of the FX tests."""

from __future__ import annotations

import pytest

from tests.otc.fx.books import build_foreign_book


@pytest.fixture
def foreign_book(tenant_a, tenant_b):
    """See tests/otc/fx/books.py for the book and its hand-worked figures."""
    return build_foreign_book(tenant_a, tenant_b)
