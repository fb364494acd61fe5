"""``python -m guardrails`` runs the CLI."""

import sys

from guardrails.cli import main

if __name__ == "__main__":  # importing the module (e.g. walking the package) must not run it
    sys.exit(main())
