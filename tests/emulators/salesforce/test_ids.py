"""Record ids: the case-safe checksum, case restoration and allocation."""

from __future__ import annotations

import pytest

from crm_emulators.salesforce.ids import IdAllocator, canonical, case_safe


@pytest.mark.parametrize(("id15", "id18"), [
    ("a01M00000062mPg", "a01M00000062mPgIAI"),
    ("001M000000qfPyS", "001M000000qfPySIAU"),
    ("a0FE000000D6r3F", "a0FE000000D6r3FMAR"),
    ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
    ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
])
def test_case_safe_suffix_matches_salesforce(id15: str, id18: str) -> None:
    assert case_safe(id15) == id18


def test_canonical_accepts_either_form_and_restores_case() -> None:
    assert canonical("001M000000qfPyS") == "001M000000qfPySIAU"
    assert canonical("001m000000qfpysiau") == "001M000000qfPySIAU"
    assert canonical("001M000000qfPySIAU") == "001M000000qfPySIAU"


@pytest.mark.parametrize("text", ["", "001", "001M000000qfPy!", "001M000000qfPySIA9", "x" * 16])
def test_canonical_rejects_what_is_not_an_id(text: str) -> None:
    assert canonical(text) is None


def test_allocator_gives_increasing_ids_with_the_prefix() -> None:
    allocator = IdAllocator()
    made = [allocator.next("001") for _ in range(70)]

    assert all(len(i) == 18 and i.startswith("001") for i in made)
    assert made == sorted(made)
    assert len(set(made)) == 70
    assert all(canonical(i.lower()) == i for i in made)
    assert allocator.next("006").startswith("006")
