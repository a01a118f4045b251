"""Fixtures for mapping tests: the fixture data model and an editable copy of mappings/."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from connector.mapping import DataModel

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SALESFORCE = Path(__file__).parent / "fixtures" / "salesforce"

Edit = Callable[[str, str, str], None]


@pytest.fixture(scope="session")
def model() -> DataModel:
    """The data model of the fixture SFDX metadata (mirrors DESIGN.md) plus standard fields."""
    return DataModel.offline(FIXTURE_SALESFORCE)


@pytest.fixture
def mappings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped mappings as ``mappings`` in the current (temporary) folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "mappings", tmp_path / "mappings")
    return Path("mappings")


@pytest.fixture
def edit(mappings_dir: Path) -> Edit:
    """Replace the first ``old`` by ``new`` in one copied mapping file (``old`` must occur)."""

    def replace(file: str, old: str, new: str) -> None:
        path = mappings_dir / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return replace
