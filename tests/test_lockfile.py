"""``requirements.lock`` (the service install) stays current with ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def _pins() -> dict[str, tuple[Version, int]]:
    """Each locked package: its version and how many hashes it carries."""
    pins: dict[str, tuple[Version, int]] = {}
    name = ""
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = str(canonicalize_name(match[1]))
            pins[name] = (Version(match[2]), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def _service_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in
            [*project["dependencies"], *project["optional-dependencies"]["postgres"]]]


def test_the_lock_pins_every_service_dependency_within_its_bounds() -> None:
    pins = _pins()
    for requirement in _service_requirements():
        name = str(canonicalize_name(requirement.name))
        assert name in pins, f"{name} is not in requirements.lock: run ./dev lock"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {name}=={version}, pyproject.toml wants "
            f"{requirement.specifier}: run ./dev lock")


def test_every_locked_package_is_hashed() -> None:
    unhashed = [name for name, (_, hashes) in _pins().items() if hashes == 0]

    assert len(_pins()) > len(_service_requirements())  # the transitive ones are locked too
    assert unhashed == []
