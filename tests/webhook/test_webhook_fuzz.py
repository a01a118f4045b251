"""Fuzzing ``POST /webhooks/stripe`` with signed events of valid and invalid shapes.

Every delivery here carries a valid signature, so everything behind the signature check is
exercised: whatever the JSON, the answer is never a 5xx; a valid event is answered 200 and
is in the inbox exactly once, as sent; a refused one leaves no row. The app is called as
uvicorn calls it (one ASGI HTTP request each, on one event loop), without sockets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.types import Message

from connector.billing.shapes import LATEST_TIMESTAMP
from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import StripeInboxEvent
from connector.webhook.app import PATH, Receiver, build_app
from connector.webhook.inbox_writer import InboxWriter
from connector.webhook.signature import SignatureVerifier

SECRET = "whsec_fuzz"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=25)

valid_events = st.fixed_dictionaries({
    "id": st.from_regex(r"\Aevt_[A-Za-z0-9]{1,24}\Z"),
    "object": st.just("event"),
    "type": st.from_regex(r"\A[a-z_]{1,12}(\.[a-z_]{1,12}){0,3}\Z"),
    "created": st.integers(0, LATEST_TIMESTAMP - 1),
    "data": st.fixed_dictionaries(
        {"object": st.fixed_dictionaries(
            {"object": st.text(min_size=1, max_size=20), "id": st.text(min_size=1, max_size=30)},
            optional={"extra": json_values, "metadata": json_values})},
        optional={"previous_attributes": json_values}),
}, optional={"livemode": st.booleans(), "api_version": st.text(max_size=20)})


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy``'s values, or any JSON value instead."""
    return strategy | json_values


odd_values = json_values | st.text(max_size=300) | st.sampled_from(
    [10**20, -1, True, 1e20, 1.5, "", "evt_ok", "invoice.paid", LATEST_TIMESTAMP])


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one or two of the fields the receiver checks replaced."""
    event: dict[str, Any] = draw(valid_events)
    for field in draw(st.sets(st.sampled_from(["id", "type", "created", "data", "object",
                                               "object id"]), min_size=1, max_size=2)):
        value = draw(odd_values)
        if field in ("object", "object id") and isinstance(event["data"], dict) and \
                isinstance(event["data"].get("object"), dict):
            event["data"]["object"]["id" if field == "object id" else "object"] = value
        elif field not in ("object", "object id"):
            event[field] = value
    return event


odd_events = mutated_events() | st.fixed_dictionaries({}, optional={
    "id": _maybe(st.text(max_size=300)),
    "type": _maybe(st.text(max_size=140)),
    "created": _maybe(st.integers() | st.floats() | st.sampled_from([10**20, -1, True, 1e20])),
    "data": _maybe(st.fixed_dictionaries({}, optional={
        "object": _maybe(st.fixed_dictionaries({}, optional={
            "object": json_values, "id": json_values}))})),
}) | json_values


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


@dataclass(frozen=True)
class Answer:
    """What the app sent back."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass(frozen=True)
class AsgiClient:
    """Posts to the app on a long-lived event loop, as uvicorn would deliver the request."""

    app: Starlette
    loop: asyncio.Runner

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        return self.loop.run(self._post(body, headers))

    async def _post(self, body: bytes, headers: dict[str, str]) -> Answer:
        incoming: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            if incoming:
                return incoming.pop()
            await asyncio.Event().wait()  # the client stays connected
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        await self.app(_scope(body, headers), receive, send)
        [start] = [m for m in sent if m["type"] == "http.response.start"]
        text = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], text.decode())


def _scope(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": PATH, "raw_path": PATH.encode(),
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8765),
            "headers": [*raw, (b"content-length", str(len(body)).encode())]}


@pytest.fixture(scope="module")
def client(sessions: sessionmaker[Session]) -> Iterator[AsgiClient]:
    clock = ManualClock(NOW)
    writer = InboxWriter(sessions, clock).start()
    app = build_app(Receiver(SignatureVerifier([SECRET], clock), writer))
    with asyncio.Runner() as loop:
        yield AsgiClient(app, loop)
    writer.stop()


def _post(client: AsgiClient, event: Any) -> Answer:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET,
                                                               int(NOW.timestamp()))
    return client.post(body.encode(), {"Stripe-Signature": header,
                                       "Content-Type": "application/json"})


def _rows(sessions: sessionmaker[Session], event_id: Any) -> list[StripeInboxEvent]:
    if not isinstance(event_id, str):
        return []
    with sessions() as session:
        return list(session.scalars(
            select(StripeInboxEvent).where(StripeInboxEvent.event_id == event_id)))


def _known(sessions: sessionmaker[Session], event_id: Any) -> bool:
    return bool(_rows(sessions, event_id))


@FUZZ
@given(event=valid_events)
def test_a_valid_event_is_stored_exactly_once_as_sent(
        client: AsgiClient, sessions: sessionmaker[Session], event: dict[str, Any]) -> None:
    seen = _known(sessions, event["id"])

    answer = _post(client, event)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "duplicate": seen}
    [row] = _rows(sessions, event["id"])
    if not seen:
        assert row.payload == event
        assert row.created == datetime.fromtimestamp(event["created"], UTC).replace(
            tzinfo=row.created.tzinfo)


@FUZZ
@given(event=odd_events)
def test_any_signed_json_gets_200_stored_once_or_400_and_no_row_never_5xx(
        client: AsgiClient, sessions: sessionmaker[Session], event: Any) -> None:
    event_id = event.get("id") if isinstance(event, dict) else None
    seen = _known(sessions, event_id)

    answer = _post(client, event)

    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        assert len(_rows(sessions, event_id)) == 1
    else:
        assert answer.json()["error"] in ("bad_event", "bad_timestamp", "bad_json")
        assert _known(sessions, event_id) == seen

