"""``python -m guardrails`` runs the CLI."""

import sys

from guardrails.cli import main

sys.exit(main())
