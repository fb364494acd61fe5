"""Red team: model-written text cannot make a reviewer card read differently than it is.

A RIGHT-TO-LEFT OVERRIDE (U+202E) in a masked argument makes every channel (Slack plain_text,
Teams TextRun, the inbox's textContent) draw the characters after it reversed: the account
``acct-\\u202e9876`` reads ``acct-6789`` to the reviewer who approves it. Bidi controls and
characters that draw nothing are shown as visible ``[U+XXXX]`` marks on every card.
"""

from __future__ import annotations

import json

import pytest

from guardrails.approvals import ApprovalService
from guardrails.channels import Card
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock

TRICKS = {
    "\u202e": "[U+202E]",  # right-to-left override
    "\u202d": "[U+202D]",  # left-to-right override
    "\u2067": "[U+2067]",  # right-to-left isolate
    "\u2069": "[U+2069]",  # pop directional isolate
    "\u200f": "[U+200F]",  # right-to-left mark
    "\u061c": "[U+061C]",  # arabic letter mark
    "\u200b": "[U+200B]",  # zero width space
    "\u2060": "[U+2060]",  # word joiner
    "\ufeff": "[U+FEFF]",  # zero width no-break space
}


def _request(masked: dict[str, object], tool: str = "wire") -> object:
    svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
    req = svc.gate(
        ToolCall(name=tool, args={"k": 1}, tags=frozenset({"privileged"})),
        masked_args=masked,
        requester=Principal(id="alice", display_name="Alice\u202eecilA"),
    ).request
    assert req is not None
    return req


@pytest.mark.parametrize(("char", "mark"), TRICKS.items())
def test_a_card_shows_bidi_and_invisible_characters_as_marks(char: str, mark: str) -> None:
    """The card's arguments (keys and values, nested), tool and requester name carry marks."""
    req = _request({"to_account": f"acct-{char}9876", f"n{char}ote": [{"x": f"a{char}b"}]})
    card = Card.from_request(req)  # type: ignore[arg-type]
    text = json.dumps(card.to_dict(), ensure_ascii=False)
    assert char not in text
    assert card.masked_args["to_account"] == f"acct-{mark}9876"
    assert card.masked_args[f"n{mark}ote"] == [{"x": f"a{mark}b"}]
    assert "[U+202E]" in card.requester_name


def test_plain_text_and_right_to_left_letters_are_unchanged() -> None:
    """Arabic or Hebrew letters are text, not tricks: shown as written."""
    req = _request({"name": "שלום", "city": "القاهرة", "n": 5})
    card = Card.from_request(req)  # type: ignore[arg-type]
    assert dict(card.masked_args) == {"name": "שלום", "city": "القاهرة", "n": 5}


def test_slack_and_teams_cards_carry_no_bidi_control() -> None:
    """What Slack and Teams receive (blocks, Adaptive Card) holds the marks, not the controls."""
    from integrations.slack._blocks import card_blocks, card_text
    from integrations.teams._cards import notify_card, request_card

    req = _request({"to_account": "acct-\u202e9876"})
    card = Card.from_request(req)  # type: ignore[arg-type]
    for doc in (
        card_blocks(card),
        card_text(card),
        request_card(card),
        notify_card(card, inbox_url="https://inbox.example/"),
    ):
        text = json.dumps(doc, ensure_ascii=False)
        assert "\u202e" not in text
        assert "[U+202E]" in text
