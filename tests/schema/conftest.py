"""Fixtures for schema tests: those of the mapping tests (the fixture SFDX metadata, its data
model and an editable copy of mappings/), shared rather than copied."""

from __future__ import annotations

from mapping.conftest import FIXTURE_SALESFORCE, edit, mappings_dir, model

__all__ = ["FIXTURE_SALESFORCE", "edit", "mappings_dir", "model"]
