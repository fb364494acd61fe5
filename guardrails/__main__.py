"""``python -m guardrails`` runs the CLI."""

import sys

from guardrails.cli import main

if __name__ == "__main__":
    sys.exit(main())
