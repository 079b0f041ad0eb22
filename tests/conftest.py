"""Shared fixtures for the Tatango SMS tests."""

from __future__ import annotations

import pytest

# Importing the integration at module level makes the test package put this
# repository's custom_components first (see home-assistant-notes.md).
from custom_components.tatango_sms.const import DOMAIN

__all__ = ["DOMAIN"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations from this repository in every test."""
