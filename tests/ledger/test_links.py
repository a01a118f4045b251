"""Links between ledger ids and Salesforce / Stripe ids."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.errors import SkippableError
from connector.ledger.links import (
    LinkConflictError,
    externals_of,
    find_entity,
    find_external,
    link,
    link_many,
)
from connector.ledger.models import Link, System


def _link_subscription(session: Session, entity_id: str, external_id: str) -> Link:
    return link(session, entity_type="subscription", entity_id=entity_id, system=System.STRIPE,
                object_type="subscription", external_id=external_id)


def test_link_is_found_both_ways(session: Session) -> None:
    _link_subscription(session, "sub-1", "sub_123")

    assert find_entity(session, "stripe", "subscription", "sub_123") == "sub-1"
    assert find_external(session, "subscription", "sub-1", System.STRIPE, "subscription") == (
        "sub_123"
    )


def test_unknown_ids_are_not_found(session: Session) -> None:
    assert find_entity(session, "stripe", "subscription", "sub_404") is None
    found = find_external(session, "subscription", "sub-404", "salesforce", "Subscription__c")
    assert found is None


def test_linking_twice_is_a_no_op(session: Session) -> None:
    first = _link_subscription(session, "sub-1", "sub_123")
    again = _link_subscription(session, "sub-1", "sub_123")

    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(Link)) == 1


def test_one_entity_may_have_an_id_per_system_and_object_type(session: Session) -> None:
    _link_subscription(session, "sub-1", "sub_123")
    link(session, entity_type="subscription", entity_id="sub-1", system="salesforce",
         object_type="Subscription__c", external_id="a0B000000000001AAA")

    assert find_external(session, "subscription", "sub-1", "salesforce", "Subscription__c") == (
        "a0B000000000001AAA"
    )


def test_an_external_id_cannot_belong_to_two_entities(session: Session) -> None:
    _link_subscription(session, "sub-1", "sub_123")

    with pytest.raises(LinkConflictError, match="already linked to subscription sub-1") as error:
        _link_subscription(session, "sub-2", "sub_123")
    assert isinstance(error.value, SkippableError)
    assert error.value.code == "LINK_CONFLICT"


def test_an_entity_cannot_get_a_second_id_of_the_same_kind(session: Session) -> None:
    _link_subscription(session, "sub-1", "sub_123")

    with pytest.raises(LinkConflictError, match="sub_123, not sub_456"):
        _link_subscription(session, "sub-1", "sub_456")


def _link_many(session: Session, pairs: list[tuple[str, str]]) -> None:
    link_many(session, entity_type="subscription", system=System.SALESFORCE,
              object_type="Subscription__c", pairs=pairs)


def test_many_links_are_written_at_once_and_found_both_ways(session: Session) -> None:
    _link_subscription(session, "sub-1", "sub_123")  # another system: no conflict
    _link_many(session, [("sub-1", "a0B1"), ("sub-2", "a0B2")])
    _link_many(session, [("sub-2", "a0B2"), ("sub-3", "a0B3"), ("sub-3", "a0B3")])

    assert externals_of(session, "subscription", ["sub-1", "sub-2", "sub-3", "sub-4"],
                        System.SALESFORCE, "Subscription__c") == {
        "sub-1": "a0B1", "sub-2": "a0B2", "sub-3": "a0B3"}
    assert find_entity(session, "salesforce", "Subscription__c", "a0B3") == "sub-3"
    assert session.scalar(select(func.count()).select_from(Link)) == 4


@pytest.mark.parametrize(("pairs", "reason"), [
    ([("sub-2", "a0B1")], "a0B1 is already linked to subscription sub-1, not subscription sub-2"),
    ([("sub-1", "a0B9")], "sub-1 is already linked to salesforce Subscription__c a0B1, not a0B9"),
    ([("sub-2", "a0B2"), ("sub-3", "a0B2")], "a0B2 is already linked to subscription sub-2"),
])
def test_many_links_refuse_what_one_link_refuses(session: Session, pairs: list[tuple[str, str]],
                                                 reason: str) -> None:
    _link_many(session, [("sub-1", "a0B1")])

    with pytest.raises(LinkConflictError, match=reason):
        _link_many(session, [("sub-5", "a0B5"), *pairs])
    assert find_entity(session, "salesforce", "Subscription__c", "a0B5") is None
