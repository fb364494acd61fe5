"""Linear time: adversarial inputs at three doubling sizes, and the CLI on a 50 MB stream.

A regex engine with backtracking turns some inputs quadratic or worse; a hostile tool output then
stalls the agent. Each adversarial input is redacted at sizes n, 2n and 4n and we report the CPU
time, the throughput and the doubling ratio t(2n)/t(n) (target ≤ ~2.2; 4 would be quadratic).

Timing, made to be trusted on a shared 2-core machine:

* CPU time (``time.process_time``) of one ``redact()`` call, so other processes' load does not
  count; wall time is recorded beside it;
* each run is one call in a fresh child process, after a small warm-up call that loads the
  pattern databases and lexicons: the engine memoizes per distinct token run, so repeating a call
  on the same input would time a warm cache; the fastest of ``--repeat`` runs is used;
* every point takes at least ``--min-seconds`` (0.3 s): a case whose first size (1 MB) is faster
  is scaled up by doubling, up to ``--max-mb`` (64 MB) at the first point, so that doubling ratios
  are not computed on 10-80 ms timings dominated by noise;
* a time limit per child turns a super-linear engine into ``timeout`` instead of a hang.

Random inputs use one seed, so the smaller input is a prefix of the larger one.

Anchor: LangChain's e-mail regex on ``a.a.a.…`` at 10, 20 and 40 KB (quadratic).
CLI: ``guardrails redact - --format text`` on a 5 MB and a 50 MB stream of agent-shaped text
piped to stdin; peak RSS of the child (sampled with psutil) must stay flat. Two inputs: a 1 MB block
repeated (bounded set of values: isolates the streaming buffers) and fresh records (every value
new, as in a real log: also shows what the placeholder vault costs).

Run: ``python -m benchmarks linear`` (``--sizes 1,2,4 --repeat 3 --cli-mb 5,50 --skip-cli
--skip-text --cases …``). Writes ``results/linear.json`` (text and nested cases) and
``results/linear_cli.json`` (CLI).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing as mp
import random
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks import _common, corpus

TARGET_DOUBLING = 2.2
TIME_LIMIT = 180.0  # seconds per measurement; beyond this the case is reported as a timeout


def _random(alphabet: str, n: int) -> str:
    rng = random.Random(0)  # same seed at every size: the n-byte input is a prefix of the 2n one
    return "".join(rng.choices(alphabet, k=n))


def _grouped(digits: str) -> str:
    """``"6904 5302 2958 …"``: card- and phone-shaped groups without end."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _words(n: int) -> str:
    rng = random.Random(0)
    words = (
        "Alice",
        "Berlin",
        "Maple",
        "Johnson",
        "Street",
        "Paris",
        "Garcia",
        "Mount",
        "Lake",
        "Chen",
    )
    out, size = [], 0
    while size < n:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


TEXT_CASES: dict[str, Callable[[int], str]] = {
    "email_dots": lambda n: (
        "a." * (n // 2) + "@"
    ),  # `a.a.a.…@`: quadratic for backtracking e-mail regexes
    "email_dots_no_at": lambda n: "a." * (n // 2),
    "digit_run": lambda n: _random(string.digits, n),  # card/phone/SSN candidates everywhere
    "spaced_digits": lambda n: _grouped(_random(string.digits, n // 5 * 4)),
    "base64_run": lambda n: _random(
        string.ascii_letters + string.digits + "+/", n
    ),  # secret candidates
    "hex_run": lambda n: _random("0123456789abcdef", n),
    "capitalized_words": _words,  # name/location candidates without end
    "key_value_lines": lambda n: ("password=" + "x" * 30 + "\n") * (n // 40),
}
DEPTHS = (10_000, 20_000, 40_000)
MIN_SECONDS = 0.3  # CPU seconds of the first point; faster cases are scaled up
MAX_FIRST_MB = 64.0  # … but never beyond this first size (the last point is 4x)
MAX_FIRST_DEPTH = 1_280_000


def _nested_json(depth: int) -> str:
    return '{"a": ' * depth + '"alice@example.com"' + "}" * depth


def _nested_obj(depth: int) -> Any:
    obj: Any = {"email": "alice@example.com"}
    for _ in range(depth):
        obj = {"a": obj}
    return obj


def _masked(out: object) -> bool:
    """Whether the e-mail at the bottom of a nested result was masked (walks, never recurses)."""
    while isinstance(out, dict) and "a" in out:
        out = out["a"]
    return "alice@example.com" not in str(out)


def _child(case: str, size: int, conn: Connection) -> None:
    """Measure one call in a child process; send back its CPU and wall time or an error name."""
    try:
        from guardrails import Redactor

        redactor = Redactor()
        # Warm-up outside the timing: the first call loads pattern databases and lexicons.
        redactor.redact(
            "warm-up alice@example.com 4111 1111 1111 1111 Alice Berlin +44 20 7946 0958"
        )
        if case in TEXT_CASES:
            payload: Any = TEXT_CASES[case](size)

            def call() -> object:
                return redactor.redact(payload)
        else:
            payload = _nested_json(size) if case == "nested_json_string" else _nested_obj(size)

            def call() -> object:
                return redactor.redact_data(payload)

        # One timed call per process: the engine memoizes per distinct token run, so a second
        # call on the same input would measure a warm cache, not what a fresh hostile input costs.
        c0, w0 = time.process_time(), time.perf_counter()
        out = call()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        extra = {} if case in TEXT_CASES else {"value_masked": _masked(out)}
        conn.send({"cpu_s": cpu, "wall_s": wall, **extra})
    except BaseException as exc:  # report, never hang the parent
        conn.send({"error": type(exc).__name__, "message": str(exc)[:200]})


def _measure_once(case: str, size: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case, size, child))
    proc.start()
    result: dict[str, Any] = {"timeout": TIME_LIMIT}
    if parent.poll(TIME_LIMIT):
        result = parent.recv()
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return result


def _measure(case: str, size: int, repeat: int) -> dict[str, Any]:
    """Fastest (CPU) of ``repeat`` cold runs, each in a fresh child process."""
    runs = []
    for _ in range(max(repeat, 1)):
        r = _measure_once(case, size)
        if "cpu_s" not in r:
            return r
        runs.append(r)
    best = min(runs, key=lambda r: r["cpu_s"])
    cpus = sorted(r["cpu_s"] for r in runs)
    return {
        **best,
        "cpu_s": round(best["cpu_s"], 4),
        "wall_s": round(best["wall_s"], 4),
        "cpu_median_s": round(cpus[len(cpus) // 2], 4),
        "runs": len(runs),
    }


def _first_size(case: str, size: int, limit: int, min_seconds: float) -> int:
    """Double ``size`` until one cold call takes ``min_seconds`` of CPU (or ``limit`` is hit)."""
    while size < limit:
        r = _measure_once(case, size)
        if "cpu_s" not in r or r["cpu_s"] >= min_seconds:
            break
        size = min(limit, size * 2)
    return size


def _series(
    case: str, sizes: list[int], repeat: int, limit: int, min_seconds: float
) -> dict[str, Any]:
    first = _first_size(case, sizes[0], limit, min_seconds)
    scale = first / sizes[0]
    sizes = [int(s * scale) for s in sizes]
    points = []
    for size in sizes:
        r = _measure(case, size, repeat)
        point: dict[str, Any] = {"size": size, **r}
        if case in TEXT_CASES and r.get("cpu_s"):
            point["mb_per_s"] = round(size / 1e6 / r["cpu_s"], 2)
        points.append(point)
        shown = {k: v for k, v in point.items() if k != "size"}
        print(f"  {case:20} {size:>10} {shown}", flush=True)
        if "cpu_s" not in r:
            break
    ratios = [
        round(b["cpu_s"] / a["cpu_s"], 2)
        for a, b in itertools.pairwise(points)
        if "cpu_s" in a and "cpu_s" in b and a["cpu_s"] > 0
    ]
    done = all("cpu_s" in p for p in points) and len(points) == len(sizes)
    return {
        "scaled_by": scale,
        "points": points,
        "doubling_ratios": ratios,
        "met": done and bool(ratios) and max(ratios) <= TARGET_DOUBLING,
    }


def langchain_anchor() -> dict[str, Any]:
    """LangChain's e-mail detector on `a.a.a.…` at 10, 20, 40 KB: the quadratic reference."""
    from langchain.agents.middleware._redaction import detect_email

    points = []
    for kb in (10, 20, 40):
        text = "a." * (kb * 512)
        t = _common.timed(lambda text=text: detect_email(text), repeat=1, warmup=0)
        points.append({"size": len(text), "seconds": round(t, 4)})
        print(f"  langchain email      {len(text):>9} {t:.3f}s", flush=True)
    ratios = [round(b["seconds"] / a["seconds"], 2) for a, b in itertools.pairwise(points)]
    return {"points": points, "doubling_ratios": ratios}


def _run_with_peak_rss(cmd: list[str], stdin_path: Path, limit: float) -> dict[str, Any]:
    """Run ``cmd`` on a file as stdin; sample the child's RSS (psutil) every 20 ms.

    Sampling, not ``ru_maxrss``: on Linux a child's ``ru_maxrss`` keeps the high-water mark of
    the parent it was forked from, which would hide the CLI's own memory behind ours.
    """
    import psutil

    with stdin_path.open("rb") as stdin, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
        child = psutil.Process(proc.pid)
        peak = 0
        deadline = time.monotonic() + limit
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):  # exited between poll() and the sample
                peak = max(peak, child.memory_info().rss)
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return {"timeout": limit}
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode(errors="replace")[-300:]
    size = stdin_path.stat().st_size
    out: dict[str, Any] = {
        "bytes": size,
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / 1e6 / seconds, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "exit_code": proc.returncode,
    }
    if proc.returncode:
        out["stderr_tail"] = stderr
    return out


def _write_stream(path: Path, n_bytes: int, *, fresh: bool) -> None:
    """Agent-shaped text: all-new records (``fresh``) or one 1 MB block repeated."""
    with path.open("w", encoding="utf-8") as fh:
        written = 0
        if fresh:  # every value new, as in a real log: a placeholder vault keeps growing
            for record in corpus.generate(10**9, seed=n_bytes):
                fh.write(record.text + "\n\n")
                written += len(record.text.encode()) + 2
                if written >= n_bytes:
                    return
        block = corpus.generate_text(1_000_000, seed=7) + "\n\n"
        while written < n_bytes:
            fh.write(block)
            written += len(block.encode())


def cli_stream(sizes_mb: list[float], *, fresh: bool = True) -> dict[str, Any]:
    """Pipe agent-shaped text through ``guardrails redact -`` and record time and peak RSS."""
    cmd = [sys.executable, "-m", "guardrails", "redact", "-", "--format", "text"]
    results = []
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-") as tmp:
        for mb in sizes_mb:
            path = Path(tmp) / f"stream-{mb}.txt"
            _write_stream(path, int(mb * 1e6), fresh=fresh)
            r = {"mb": mb, **_run_with_peak_rss(cmd, path, limit=1800)}
            print(f"  cli {mb:>5} MB {r}", flush=True)
            results.append(r)
            path.unlink()
    rss = [r["peak_rss_mb"] for r in results if "peak_rss_mb" in r]
    flat = len(rss) == len(sizes_mb) and len(rss) > 1 and rss[-1] <= rss[0] * 1.5 + 20
    return {
        "command": " ".join(cmd[2:]),
        "input": "fresh agent-shaped records (every value new)"
        if fresh
        else "a 1 MB block repeated",
        "runs": results,
        "memory_flat": flat,
        "rule": "peak RSS on the largest stream ≤ 1.5 × the smallest + 20 MB",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks linear")
    parser.add_argument("--sizes", default="1,2,4", help="MB for the text cases (before scaling)")
    parser.add_argument("--cases", default="", help="comma-separated subset of text cases")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per point (best CPU)")
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS)
    parser.add_argument("--max-mb", type=float, default=MAX_FIRST_MB, help="cap on the first size")
    parser.add_argument("--cli-mb", default="5,50")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-nested", action="store_true")
    parser.add_argument("--cli-input", choices=("fresh", "repeat", "both"), default="both")
    parser.add_argument("--skip-text", action="store_true", help="only the CLI stream")
    parser.add_argument("--name", default="linear", help="results/<name>.json for the text cases")
    args = parser.parse_args(argv)
    sizes = [int(float(s) * 1_000_000) for s in args.sizes.split(",")]
    cases = [c for c in args.cases.split(",") if c] or list(TEXT_CASES)
    data: dict[str, Any] = {
        "target_doubling_ratio": TARGET_DOUBLING,
        "time_limit_s": TIME_LIMIT,
        "timing": (
            f"CPU time (process_time) of one redact() call in a fresh process after a warm-up "
            f"call; best of {args.repeat} runs per point; sizes doubled until the first point "
            f"takes >= {args.min_seconds} s CPU (first size capped at {args.max_mb} MB)"
        ),
        "text": {},
    }
    if not args.skip_text:
        print("text cases (Redactor().redact):", flush=True)
        for case in cases:
            data["text"][case] = _series(
                case, sizes, args.repeat, int(args.max_mb * 1e6), args.min_seconds
            )
        if not args.skip_nested:
            print("nested structures (Redactor().redact_data), by depth:", flush=True)
            data["nested"] = {
                c: _series(c, list(DEPTHS), args.repeat, MAX_FIRST_DEPTH, args.min_seconds)
                for c in ("nested_json_string", "nested_dict")
            }
        print("anchor:", flush=True)
        data["langchain_email_anchor"] = langchain_anchor()
        path = _common.write_result(args.name, data)
        summary = {
            k: {"MB/s": v["points"][-1].get("mb_per_s"), "ratios": v["doubling_ratios"]}
            for k, v in data["text"].items()
        }
        print(json.dumps(summary))
        print(f"wrote {path}")
    if not args.skip_cli:
        print("cli stream:", flush=True)
        modes = ("repeat", "fresh") if args.cli_input == "both" else (args.cli_input,)
        sizes_mb = [float(s) for s in args.cli_mb.split(",")]
        cli = {m: cli_stream(sizes_mb, fresh=m == "fresh") for m in modes}
        print(f"wrote {_common.write_result('linear_cli', cli)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
