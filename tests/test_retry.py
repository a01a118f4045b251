"""The retry policy retries only retriable errors, a bounded number of times."""

from __future__ import annotations

import pytest

from connector.errors import BudgetExhaustedError, RetriableError, ValidationRejectedError
from connector.retry import NO_WAIT, RetryPolicy


def test_retriable_errors_are_retried_until_success() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetriableError("503")
        return "ok"

    assert NO_WAIT.call(flaky) == "ok"
    assert len(calls) == 3


def test_gives_up_after_the_attempts_and_reraises() -> None:
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise RetriableError("still down")

    with pytest.raises(RetriableError, match="still down"):
        RetryPolicy(attempts=4, initial=0, maximum=0).call(down)
    assert len(calls) == 4


def test_validation_errors_are_never_retried() -> None:
    calls: list[int] = []

    def invalid() -> None:
        calls.append(1)
        raise ValidationRejectedError("bad value", code="INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")

    with pytest.raises(ValidationRejectedError):
        NO_WAIT.call(invalid)
    assert len(calls) == 1


def test_a_spent_budget_is_not_retried() -> None:
    calls: list[int] = []

    def spent() -> None:
        calls.append(1)
        raise BudgetExhaustedError("403 REQUEST_LIMIT_EXCEEDED")

    with pytest.raises(BudgetExhaustedError):
        NO_WAIT.call(spent)
    assert len(calls) == 1
