"""Review of the policy (compiled CEL, 15f1bbf/74e485c/baa5553): refusals, never crashes, and
no condition that fails open where cel-python's interpreter errors or matches."""

from __future__ import annotations

import pytest

from guardrails import PolicyError
from guardrails.policy import Policy


@pytest.mark.parametrize(
    "expires_in",
    [
        86_400_000_000_000,  # seconds past timedelta's range (hypothesis found it)
        float("inf"),
        float("nan"),
        "99999999999d",  # the string form past the range
        10**400,  # an int too big for a float
    ],
)
def test_an_out_of_range_duration_is_a_policy_error(expires_in: object) -> None:
    """Durations timedelta cannot hold are refused as PolicyError (not OverflowError)."""
    doc = {"rules": [{"name": "r", "effect": "require_approval", "tools": ["t"]}]}
    doc["rules"][0]["approval"] = {"expires_in": expires_in}  # type: ignore[index]
    with pytest.raises(PolicyError):
        Policy.from_dict(doc)
