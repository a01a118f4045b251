"""Pipeline behaviour shared by all transforms, and the transform list in the docs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.mapping.steps import TRANSFORMS, BuildInfo, Step, StepInput, TransformSpec, run_steps
from connector.mapping.transforms import TransformError
from connector.schema.paths import get_path

from .conftest import REPO


def _pipeline(
    *steps: tuple[str, dict[str, object]], from_path: str | None = None
) -> tuple[tuple[TransformSpec, Step], ...]:
    built = []
    for name, options in steps:
        spec = TRANSFORMS[name]
        options_model = spec.options.model_validate(options)
        built.append((spec, spec.make(options_model, BuildInfo(from_path, None))))
    return tuple(built)


def test_null_passes_every_step_except_not_null() -> None:
    source = StepInput({}, get_path)
    assert run_steps(_pipeline(("upper", {}), ("int", {})), None, source) is None
    with pytest.raises(TransformError, match="is required but the source is empty"):
        run_steps(_pipeline(("upper", {}), ("not_null", {})), None, source)


def test_template_transform_sees_the_value_and_the_row() -> None:
    steps = _pipeline(("template", {"template": "{value} ({Account.Name})"}))
    source = StepInput({"Account": {"Name": "Acme"}}, get_path)
    assert run_steps(steps, "Pro", source) == "Pro (Acme)"


def test_money_steps_read_the_currency_from_the_row() -> None:
    steps = _pipeline(("from_minor", {"currency_from": "currency"}))
    assert run_steps(steps, 1999, StepInput({"currency": "jpy"}, get_path)) == Decimal(1999)
    with pytest.raises(TransformError, match="no currency: currency is empty"):
        run_steps(steps, 1999, StepInput({}, get_path))


def test_lookup_key_needs_the_catalog() -> None:
    steps = _pipeline(("lookup_key", {}), from_path="Product__r.ProductCode")
    with pytest.raises(TransformError, match=r"lookup_key needs the catalog \(catalog.toml\)"):
        run_steps(steps, "PRO", StepInput({}, get_path))


def test_every_transform_is_documented() -> None:
    docs = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")
    missing = [name for name in TRANSFORMS if f"`{name}`" not in docs]
    assert missing == []
