"""Conditions for the compiled-vs-interpreted tests: every one written in our tests, docs,
benchmarks and examples (found by scanning them), plus one per construct the compiler covers."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
_YAML_WHEN = re.compile(r"^\s*(?:-\s*)?when:\s*(\S.*?)\s*(?:#.*)?$", re.MULTILINE)

# One row per construct (comment: what it exercises).
FEATURES = [
    # comparisons, int64 arithmetic and overflow, int/double/uint mixing
    "args.amount > 1000",
    "args.amount >= 1000.0",
    "args.amount < -5 || args.amount == 0",
    "args.amount + 1 > args.amount",
    "args.amount * 2 > 9223372036854775807",
    "9223372036854775807 + args.amount > 0",
    "-9223372036854775807 - args.amount < 0",
    "args.amount - 1 < 0 && args.amount * args.amount > 100",
    "args.amount / 3 == 2",
    "args.amount % 7 == 1",
    "-args.amount < 0",
    "args.amount / 0 == 1 || true",
    "1 / 0 > 1 && false",
    "args.amount == 5u",
    "double(args.amount) > 2.5",
    "int(args.amount) == 3",
    "string(args.amount) == '3'",
    "uint(args.amount) > 2u",
    "args.amount in [1, 2, 3]",
    "args.amount in [1, 'a', 2.0]",
    "args.amount != 5 ? true : false",
    "(args.amount > 1000) == true",
    "dyn(args.amount) > 1",
    # strings and helpers
    'args.to.endsWith("@example.com")',
    'args.to.startsWith("x") && args.to.contains("@")',
    r'args.to.matches("^[a-z]+@(example|partner)\\.io$")',
    "args.to.matches(args.s)",
    'matches(args.to, "^b")',
    'args.to.matches("(a+)+$")',
    "size(args.to) > 3",
    "args.to.size() > 3",
    'args.to + "x" == "ax"',
    'args.to < "m"',
    'email_domain(args.to) == "partner.io"',
    'email_domain(args.to) == ""',
    'url_host(args.url) == "api.example.com"',
    'url_host(args.url) == ""',
    "url_host(args.url) in lists.hosts",
    "!(email_domain(args.to) in lists.allowed_domains)",
    'b"abc" == bytes(args.to)',
    # lists, maps, indexing, has()
    '"interns" in requester.groups',
    "size(args.items) > 2",
    "args.items.size() > 2",
    "args.items[0] == 1",
    'args.items[-1] == "a"',
    "args.items == [1, 2]",
    'args.items != [1, "a"]',
    "args.x == args.x",
    "size(args) > 1",
    'args.x["a"] == 1',
    "args.x.a.b == 1",
    'args["amount"] > 1',
    "args[args.s] == 1",
    "args.items[args.amount] == 1",
    "has(args.x)",
    "has(args.x.a)",
    "has(args.x.a) && args.x.a > 1",
    "has(args.x) ? args.x.size() > 0 : false",
    "args.x == null",
    "null == args.x",
    "args.a.b.c.d == 'x'",
    "[].size() == 0",
    "args.table in lists.sensitive_tables",
    # macros, nested, errors inside them
    "args.items.exists(i, i > 2)",
    "args.items.all(i, i > 2)",
    "args.items.exists_one(i, i == 1)",
    "args.items.map(i, i * 2)[0] == 2",
    "size(args.items.filter(i, i > 1)) == 1",
    "args.items.exists(i, args.items.all(j, j >= i))",
    'args.x.exists(k, k == "a")',
    "args.items.exists(i, i)",
    "args.items.all(i, 1 / i > 0)",
    "args.items.exists_one(i, 1 / i > 0)",
    "args.items.map(i, 1 / i).size() > 0",
    "args.items.exists(i, [i].map(j, 1 / j).size() > 0)",
    "args.items.exists(args, args == 2)",
    'lists.allowed_domains.exists(d, args.to.endsWith("@" + d))',
    "true ? args.items.map(i, i) == [] : false",
    # logic: commutative errors, ternary, non-boolean results
    "!args.flag",
    "!!args.flag",
    "args.flag || args.amount > 1",
    "args.flag && args.amount > 1",
    "true ? args.missing : true",
    "false || args.missing.deep > 1",
    "args.missing > 1 || true",
    "args.missing > 1 && false",
    "args.amount > 1000 ? args.to.endsWith('@x.io') : args.amount < 0",
    "args.amount",
    "args.flag ? 1 : 2",
    # the other variables
    'context.thread_id.startsWith("t-")',
    'tool.name == "wire" && "deploy" in tool.tags',
    'tool.metadata.env == "prod"',
    'requester.kind == "human" && requester.id != ""',
    "lists.missing == 1",
]

# Outside the compiled subset: these keep cel-python's interpreter.
INTERPRETED = [
    'args.x == {"a": 1}',  # map literal
    "type(args.amount) == int",  # type() and type names
    ".args.amount > 1",  # leading-dot name
    "args.items.min() > 1",  # cel-python extension
    "unknown_function(args.x)",  # not registered
    "google.protobuf.Int32Value{value: 1} == 1",  # message construction
]


def _from_text(text: str) -> list[str]:
    found = []
    for match in _YAML_WHEN.finditer(text):
        try:
            value = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            continue
        if isinstance(value, str):
            found.append(value)
    return found


def _from_python(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg == "when":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.append(node.value.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.extend(_from_text(node.value))
    return found


def written_conditions() -> list[str]:
    """Every condition written in the repository's tests, docs, benchmarks and examples."""
    found: list[str] = []
    for folder in ("tests", "benchmarks", "guardrails", "integrations", "docs", "notebooks"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix == ".py":
                found.extend(_from_python(path))
            elif path.suffix in {".md", ".yaml", ".yml"}:
                found.extend(_from_text(path.read_text(encoding="utf-8")))
            elif path.suffix == ".ipynb":
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
                found.extend(c for cell in cells for c in _from_text("".join(cell["source"])))
    found.extend(_from_text((ROOT / "README.md").read_text(encoding="utf-8")))
    return sorted(set(found) - set(FEATURES) - set(INTERPRETED))
