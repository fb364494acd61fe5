"""Fan-out: one approval request shown in several channels, one outcome, every card kept current.

The approval service already makes the decision itself channel-independent: every channel hands
it a :class:`~guardrails.approvals.Decision` whose approver the *channel* authenticated, the store
records the first valid one atomically (or counts distinct humans toward a quorum, whichever
channel they used), and each refusal is audited. :class:`FanOut` adds the other half: it listens
to the service and delivers each change to every channel that shows the request, so a card
decided in Slack closes in Teams and in the web inbox, and expiry and escalation are announced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from guardrails._errors import ConfigurationError
from guardrails.approvals import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalService,
    Decision,
    DecisionOutcome,
)
from guardrails.approvals._models import TERMINAL
from guardrails.channels._card import Card, CardUpdate

__all__ = ["Channel", "FanOut", "RecordingChannel", "Route", "submit_decision"]

logger = logging.getLogger("guardrails.channels")
logger.addHandler(logging.NullHandler())

Route = Callable[[ApprovalRequest], Iterable[str]]


@runtime_checkable
class Channel(Protocol):
    """Somewhere reviewers see cards: Slack, Teams, the web inbox, a notebook. One method.

    ``deliver`` posts the card when ``update.new`` and otherwise updates the card it posted for
    ``update.card.request_id`` (a channel keeps its own message ids). It should return quickly
    (queue slow network work); errors are logged and never undo a decision.

    Example:
        >>> class Printer:
        ...     def deliver(self, update: CardUpdate) -> None:
        ...         print(update.kind, update.card.tool, update.new)
        >>> isinstance(Printer(), Channel)
        True
    """

    def deliver(self, update: CardUpdate, /) -> None:
        """Show ``update`` to reviewers."""
        ...


class FanOut:
    """Delivers every approval event to the channels that show the request.

    Args:
        service: the shared approval service (subscribed on construction; :meth:`close` stops).
        channels: channel name -> :class:`Channel`.
        route: which channels show a request (default: all). It is asked again when the request
            escalates, so a route can send escalations to another channel (an on-call room):
            a channel that joins then receives the card as ``new``.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> from guardrails.testing import FixedClock
        >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
        >>> a, b = RecordingChannel(), RecordingChannel()
        >>> fan = FanOut(svc, {"slack": a, "inbox": b})
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
        ...                requester=Principal(id="alice")).request
        >>> _ = submit_decision(svc, req.id, channel="inbox", approver=Principal(id="bob"),
        ...                     verdict="approve")
        >>> [(u.kind, u.new) for u in a.updates], [u.card.status for u in b.updates]
        ([('requested', True), ('decided', False)], ['pending', 'approved'])
    """

    def __init__(
        self,
        service: ApprovalService,
        channels: Mapping[str, Channel],
        *,
        route: Route | None = None,
    ) -> None:
        if not isinstance(service, ApprovalService):
            raise ConfigurationError("FanOut needs an ApprovalService")
        for name, channel in channels.items():
            if not callable(getattr(channel, "deliver", None)):
                raise ConfigurationError(f"channel {name!r} has no deliver() method")
        self.service = service
        self.channels: dict[str, Channel] = dict(channels)
        self._route = route
        self._lock = threading.Lock()
        # request id -> channel names that show it; dropped when the request is terminal.
        self._shown: dict[str, set[str]] = {}
        self._unsubscribe: Callable[[], None] | None = service.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening to the service."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def __enter__(self) -> FanOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def targets(self, request: ApprovalRequest) -> list[str]:
        """The channel names that should show ``request`` now (unknown names are ignored)."""
        if self._route is None:
            return list(self.channels)
        try:
            names = list(self._route(request))
        except Exception as exc:  # a broken route must not hide the card everywhere
            logger.warning("channel route failed (%s); showing everywhere", type(exc).__name__)
            return list(self.channels)
        return [n for n in names if n in self.channels]

    def _on_event(self, event: ApprovalEvent) -> None:
        request = event.request
        card = Card.from_request(request)
        wanted = self.targets(request) if event.kind in ("requested", "escalated") else []
        with self._lock:
            shown = self._shown.setdefault(request.id, set())
            fresh = [n for n in wanted if n not in shown]
            shown.update(fresh)
            recipients = sorted(shown)
            if request.status in TERMINAL:
                self._shown.pop(request.id, None)
        if not recipients and event.kind not in ("requested", "escalated"):
            # Decided elsewhere before this process showed it (or after a restart): tell every
            # channel once so a card posted by an earlier process still closes.
            recipients = self.targets(request)
        for name in recipients:
            update = CardUpdate(kind=event.kind, card=card, new=name in fresh, code=event.code)
            self._deliver(name, update)

    def _deliver(self, name: str, update: CardUpdate) -> None:
        try:
            self.channels[name].deliver(update)
        except Exception as exc:
            logger.warning("channel %s failed to deliver: %s", name, type(exc).__name__)

    def repost(self, request_id: str) -> None:
        """Deliver a pending request's card again as ``new`` (e.g. after a process restart)."""
        request = self.service.get(request_id)
        names = self.targets(request)
        with self._lock:
            self._shown.setdefault(request.id, set()).update(names)
        card = Card.from_request(request)
        for name in names:
            self._deliver(name, CardUpdate(kind="requested", card=card, new=True))


def submit_decision(
    service: ApprovalService,
    request_id: str,
    *,
    channel: str,
    approver: Any,
    verdict: str,
    reason: str = "",
    args_digest: str | None = None,
    edited_tool: str | None = None,
    edited_args: Mapping[str, Any] | None = None,
    decision_id: str | None = None,
) -> DecisionOutcome:
    """Hand a channel's decision to the service: the one path every channel uses.

    ``approver`` is the :class:`~guardrails.Principal` the channel authenticated and resolved
    (``None`` when it could not: refused as ``unauthenticated`` and audited). ``args_digest`` is
    the digest of the card the reviewer acted on (default: the request's own). ``decision_id``
    lets a channel make a retried click the same decision (refused as ``replayed``).

    Raises:
        DecisionRefused: the service refused it (``code`` says why; audited).
        UnknownRequestError: no such request (nothing is recorded).
        InputError: a malformed decision (unknown verdict, edit without args).
    """
    digest = args_digest if args_digest is not None else service.get(request_id).args_digest
    extra: dict[str, Any] = {"id": decision_id} if decision_id else {}
    decision = Decision(
        verdict=verdict,  # type: ignore[arg-type]  # Decision validates it (InputError)
        approver=approver,
        args_digest=digest,
        reason=reason,
        edited_tool=edited_tool if verdict == "edit" else None,
        edited_args=edited_args if verdict == "edit" else None,
        channel=channel,
        **extra,
    )
    return service.decide(request_id, decision)


class RecordingChannel:
    """A channel that keeps every update it receives, for tests and examples.

    Example:
        >>> RecordingChannel().updates
        []
    """

    def __init__(self) -> None:
        self.updates: list[CardUpdate] = []
        self._lock = threading.Lock()

    def deliver(self, update: CardUpdate, /) -> None:
        """Record ``update``."""
        with self._lock:
            self.updates.append(update)

    def cards(self) -> dict[str, Card]:
        """The latest card per request id."""
        with self._lock:
            return {u.card.request_id: u.card for u in self.updates}
