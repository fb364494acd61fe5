"""Benchmarks for action-guardrails: quality, speed and linear time, side by side with anchors.

Run ``python -m benchmarks`` for all of them or ``python -m benchmarks quality speed`` for some.
A benchmark is any module here whose name does not start with ``_`` and that defines
``main(argv: list[str] | None = None) -> int``; results go to ``benchmarks/results/<name>.json``.
"""
