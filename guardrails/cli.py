"""The ``guardrails`` command line.

Subcommands live beside the code they drive; each module exposes ``register(subparsers)`` and sets
``func`` on its parser:

* ``guardrails redact`` / ``guardrails scan``: :mod:`guardrails._cli_redact`
* ``guardrails audit verify|tail|export``: :mod:`guardrails.audit._cli`
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from guardrails._errors import GuardrailsError

_SUBCOMMAND_MODULES = ("guardrails._cli_redact", "guardrails.audit._cli")


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="guardrails",
        description="Redact PII and secrets; verify and export the audit trail.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module: surface it
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except GuardrailsError as exc:
        print(f"guardrails: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `guardrails redact big.log | head`
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
