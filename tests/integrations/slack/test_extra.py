"""A missing extra fails with the install command (slack and teams)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("blocked", "package", "extra"),
    [
        ("slack_sdk", "integrations.slack", "slack"),  # no slack-sdk
        ("starlette", "integrations.slack", "slack"),  # no web framework for the endpoint
        ("jwt", "integrations.teams", "teams"),  # no PyJWT for the Bot Connector token
    ],
)
def test_missing_dependency_names_the_extra(blocked: str, package: str, extra: str) -> None:
    """Importing the adapter without its dependency says which extra to install."""
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        f"try:\n    import {package}\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingDependencyError")
    assert f'pip install "action-guardrails[{extra}]"' in out.stdout
