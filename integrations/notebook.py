"""Notebook channel: approve/reject buttons (ipywidgets) in Jupyter, or a plain ``input()`` prompt.

For experimenting. The reviewer is the configured notebook user, resolved through the approval
service's directory; the service's rules still apply (the requester cannot approve their own
call, agents cannot approve, the rule's groups are checked). Card text is shown in plain-text
widgets (``Label``/``Textarea``), never as HTML.

Example:
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.identity import Principal
    >>> from guardrails.policy import Policy, ToolCall
    >>> svc = ApprovalService(Policy.default_policy())
    >>> nb = NotebookChannel(svc, user=Principal(id="bob"), widgets=False,
    ...                      input=lambda prompt: "reject: not now", output=lambda text: None)
    >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
    ...                requester=Principal(id="alice")).request
    >>> nb.review(req.id).status
    'rejected'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from guardrails import DecisionRefused, Principal
from guardrails.approvals import ApprovalService, DecisionOutcome
from guardrails.channels import Card, CardUpdate, FanOut, submit_decision

__all__ = ["NotebookChannel", "parse_reply"]

_REPLY = re.compile(
    r"^\s*(approve|approved|yes|y|reject|rejected|no|n)\b\s*[:,\-]?\s*(.*)$", re.I | re.S
)


def parse_reply(text: str) -> tuple[str, str] | None:
    """``"approve"``, ``"reject: too broad"`` → ``(verdict, reason)``; anything else → ``None``.

    Example:
        >>> parse_reply("reject: too broad"), parse_reply("maybe")
        (('reject', 'too broad'), None)
    """
    m = _REPLY.match(text or "")
    if m is None:
        return None
    word = m.group(1).lower()
    return ("approve" if word in ("approve", "approved", "yes", "y") else "reject"), m.group(
        2
    ).strip()


def card_text(card: Card) -> str:
    """The card as plain text (what the prompt prints)."""
    args = json.dumps(dict(card.masked_args), indent=2, sort_keys=True, default=str)
    quorum = f" · approvals {len(card.approvals)} of {card.quorum}" if card.quorum > 1 else ""
    return (
        f"Approval needed: {card.tool}\n"
        f"Why: {card.reason} (rule {card.rule})\n"
        f"Requested by {card.requester_name or 'unknown'}{quorum} · expires {card.expires_at:%H:%M:%S} UTC\n"
        f"Arguments (masked):\n{args}"
    )


class NotebookChannel:
    """A :class:`~guardrails.channels.Channel` for Jupyter, with an ``input()`` fallback.

    Args:
        service: the shared approval service.
        user: the notebook user: a principal id (resolved with the service's directory under
            ``"notebook"``, then as a principal id) or a :class:`~guardrails.Principal`.
        widgets: use ipywidgets (default: when importable).
        input: the prompt function of the fallback (default: builtin ``input``).
        output: where text goes (default: ``print``); ``display``: shows widgets (default:
            IPython's ``display``).
        fanout: subscribe to the service (its own :class:`~guardrails.channels.FanOut`) so new
            requests show up as widget cards; leave False when you add it to a shared fan-out.

    Example:
        >>> from guardrails.policy import Policy
        >>> nb = NotebookChannel(ApprovalService(Policy()), user="bob", widgets=False)
        >>> nb.principal() is None  # "bob" is not in the (empty) directory: refused if he decides
        True
    """

    def __init__(
        self,
        service: ApprovalService,
        *,
        user: str | Principal,
        widgets: bool | None = None,
        input: Callable[[str], str] | None = None,
        output: Callable[[str], None] | None = None,
        display: Callable[[Any], None] | None = None,
        fanout: bool = False,
    ) -> None:
        self.service = service
        self.user = user
        if widgets is None:
            try:
                import ipywidgets  # type: ignore[import-untyped]  # noqa: F401

                widgets = True
            except ImportError:
                widgets = False
        self.widgets = widgets
        if input is None:
            import builtins

            input = builtins.input
        self._input = input
        self._output = output or print
        self._display = display
        self.views: dict[str, Any] = {}
        self.fanout = FanOut(service, {"notebook": self}) if fanout else None

    # -- identity -------------------------------------------------------------------------------

    def principal(self) -> Principal | None:
        """The reviewer this notebook decides as (``None``: unknown, refused by the service)."""
        if isinstance(self.user, Principal):
            return self.user
        return self.service.resolve("notebook", self.user) or self.service.resolve(
            "principal", self.user
        )

    def decide(self, request_id: str, verdict: str, reason: str = "") -> DecisionOutcome:
        """Decide as the notebook user (raises :class:`~guardrails.DecisionRefused`)."""
        return submit_decision(
            self.service,
            request_id,
            channel="notebook",
            approver=self.principal(),
            verdict=verdict,
            reason=reason,
        )

    # -- input() fallback -----------------------------------------------------------------------

    def review(self, request_id: str, *, attempts: int = 3) -> DecisionOutcome | DecisionRefused:
        """Print the card and ask ``approve`` / ``reject: reason``; returns the outcome or refusal.

        Raises:
            ValueError: no valid answer after ``attempts`` tries (nothing was decided).
        """
        card = Card.from_request(self.service.get(request_id))
        self._output(card_text(card))
        for _ in range(attempts):
            reply = parse_reply(self._input('Decide ("approve" or "reject: reason"): '))
            if reply is None:
                self._output('Please answer "approve" or "reject: <reason>".')
                continue
            try:
                outcome = self.decide(request_id, *reply)
            except DecisionRefused as refusal:
                self._output(f"Refused ({refusal.code}): {refusal.reason}")
                return refusal
            self._output(Card.from_request(outcome.request).summary())
            return outcome
        raise ValueError("no valid answer was given")

    # -- widgets ----------------------------------------------------------------------------------

    def deliver(self, update: CardUpdate, /) -> None:
        """Show a new card (widgets), or update the status line of the one shown."""
        card = update.card
        view = self.views.get(card.request_id)
        if view is None:
            if not (update.new and card.open and self.widgets):
                return
            view = self.views[card.request_id] = self._build(card)
            show = self._display or _ipython_display()
            show(view["box"])
            return
        if not card.open:
            view["status"].value = card.summary()
            for button in (view["approve"], view["reject"]):
                button.disabled = True

    def widget(self, request_id: str) -> Any:
        """The widget box of a request (builds it if needed)."""
        if request_id not in self.views:
            self.views[request_id] = self._build(Card.from_request(self.service.get(request_id)))
        return self.views[request_id]["box"]

    def _build(self, card: Card) -> dict[str, Any]:
        import ipywidgets as w

        args = json.dumps(dict(card.masked_args), indent=2, sort_keys=True, default=str)
        title = w.Label(value=f"Approval needed: {card.tool} — {card.reason} (rule {card.rule})")
        who = w.Label(value=f"Requested by {card.requester_name or 'unknown'}")
        shown = w.Textarea(value=args, disabled=True, layout=w.Layout(width="100%"))
        reason = w.Text(placeholder="Reason", layout=w.Layout(width="100%"))
        approve = w.Button(description="Approve", button_style="success")
        reject = w.Button(description="Reject", button_style="danger")
        status = w.Label(value="")

        def on(verdict: str) -> Callable[[Any], None]:
            def click(_: Any) -> None:
                try:
                    outcome = self.decide(card.request_id, verdict, reason.value)
                except DecisionRefused as refusal:
                    status.value = f"Refused ({refusal.code}): {refusal.reason}"
                    return
                status.value = Card.from_request(outcome.request).summary()

            return click

        approve.on_click(on("approve"))
        reject.on_click(on("reject"))
        box = w.VBox([title, who, shown, reason, w.HBox([approve, reject]), status])
        return {
            "box": box,
            "approve": approve,
            "reject": reject,
            "reason": reason,
            "status": status,
        }


def _ipython_display() -> Callable[[Any], None]:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - ipywidgets depends on IPython
        return lambda obj: None
    return display
