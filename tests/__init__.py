"""Tests for the Tatango SMS integration."""
