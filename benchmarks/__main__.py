"""``python -m benchmarks [name ...] [-- args]``: run every benchmark module, or the named ones.

Benchmarks are discovered, not registered: any public module of this package with a ``main``
function (so ``benchmarks/policy.py`` added by another engineer runs without touching this file).
Arguments after ``--`` are passed to each selected benchmark's ``main``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks

# Modules that are part of the harness, not benchmarks, even though they are public.
_NOT_BENCHMARKS = frozenset({"corpus"})


def available() -> list[str]:
    """Names of the benchmark modules in this package, sorted."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if not m.name.startswith("_") and not m.ispkg and m.name not in _NOT_BENCHMARKS
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1 :]
    if args and args[0] in ("-h", "--help", "--list"):
        print("benchmarks:", " ".join(available()))
        return 0
    names = args or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    code = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        entry = getattr(module, "main", None)
        if entry is None:
            continue
        print(f"=== {name} ===", flush=True)
        t0 = time.perf_counter()
        code = max(code, int(entry(extra) or 0))
        print(f"=== {name} done in {time.perf_counter() - t0:.1f}s ===", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
