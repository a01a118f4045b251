"""Digests: the ready notifications of one recipient, sent as one email.

Each queued CSM notification carries one won opportunity's new potential subscriptions (see
:mod:`connector.workflows.potential`); it becomes one :class:`Entry` once its records have
Salesforce ids. :func:`group` puts the entries of a digested kind that go to one recipient
into one :class:`Digest`, its opportunities in a stable order (account name, opportunity name,
queue order); an entry of any other kind is a digest of its own. A digest lists at most
``limit`` subscription lines; past that its context says how many more there are, for the
templates to link to a Salesforce list view of them.

A digest's key is derived from the keys of the notifications it carries, so a digest sent
again after a crash (the relay accepted it, the ledger had not recorded that) keeps its
Message-ID, and mail clients that deduplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DIGEST_LIMIT = 50
"""Subscription lines one digest lists; the rest are counted and linked."""


@dataclass(frozen=True)
class Entry:
    """One queued notification, ready to go out.

    Attributes:
        notification_id: the ledger row's id (its place in the queue).
        key: the notification's stable key.
        kind: the notification kind (names the templates).
        recipient: the address it goes to.
        context: its template data; for a CSM notification ``csm``, ``account``,
            ``opportunity`` and ``lines``, links resolved.
    """

    notification_id: int
    key: str
    kind: str
    recipient: str
    context: Mapping[str, Any]

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The subscription lines it lists."""
        return list(self.context.get("lines", []))

    @property
    def order(self) -> tuple[str, str, int]:
        """Where it stands in a digest: by account, then opportunity, then queue order."""
        return (_name(self.context, "account"), _name(self.context, "opportunity"),
                self.notification_id)


@dataclass(frozen=True)
class Digest:
    """The entries that go out as one email to one recipient, in display order.

    Attributes:
        kind: the entries' kind.
        recipient: where the email goes.
        entries: what it carries, in display order.
        digested: whether ``kind`` is one whose entries are gathered per recipient (else the
            digest is a single entry, sent as it was queued).
    """

    kind: str
    recipient: str
    entries: tuple[Entry, ...]
    digested: bool = True

    @property
    def key(self) -> str:
        """A stable key: derived from every key the digest carries (the entry's own key for
        a single entry of an undigested kind)."""
        if not self.digested:
            return self.entries[0].key
        keys = "\n".join(sorted(entry.key for entry in self.entries))
        return f"{self.kind}:digest:{hashlib.sha256(keys.encode()).hexdigest()[:32]}"

    @property
    def line_count(self) -> int:
        """Subscription lines across every entry."""
        return sum(len(entry.lines) for entry in self.entries)

    def context(self, list_view_url: str, limit: int = DIGEST_LIMIT) -> dict[str, Any]:
        """The template data of the digest.

        Returns:
            ``csm`` (the first entry's), ``opportunities`` (each with ``account``,
            ``opportunity`` and the ``lines`` listed, the first ``limit`` lines in all),
            ``total`` (lines in the digest), ``shown``, ``more`` (``total - shown``),
            ``opportunity_count``, ``more_opportunities`` (opportunities none of whose lines
            are listed) and ``list_view_url``. An undigested entry's own context instead.
        """
        if not self.digested:
            return dict(self.entries[0].context)
        listed = _listed(self.entries, limit)
        shown = sum(len(opportunity["lines"]) for opportunity in listed)
        total = self.line_count
        return {
            "csm": dict(self.entries[0].context.get("csm", {})),
            "opportunities": listed, "total": total, "shown": shown, "more": total - shown,
            "opportunity_count": len(self.entries),
            "more_opportunities": len(self.entries) - len(listed),
            "list_view_url": list_view_url,
        }


def group(entries: Iterable[Entry], digested: Collection[str]) -> list[Digest]:
    """The digests ``entries`` make: one per recipient for each kind in ``digested``, one per
    entry for any other kind; ordered by kind, then recipient, then queue order."""
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for entry in entries:
        own = "" if entry.kind in digested else entry.key
        groups.setdefault((entry.kind, entry.recipient, own), []).append(entry)
    ordered = sorted(groups.items(),
                     key=lambda item: (item[0][0], item[0][1], item[1][0].notification_id))
    return [Digest(kind, recipient, tuple(sorted(members, key=lambda e: e.order)),
                   digested=kind in digested)
            for (kind, recipient, _), members in ordered]


def _listed(entries: Iterable[Entry], limit: int) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    room = limit
    for entry in entries:
        if room <= 0:
            break
        lines = entry.lines[:room]
        room -= len(lines)
        listed.append({"account": dict(entry.context.get("account", {})),
                       "opportunity": dict(entry.context.get("opportunity", {})),
                       "lines": lines})
    return listed


def _name(context: Mapping[str, Any], record: str) -> str:
    return str((context.get(record) or {}).get("name") or "").casefold()
