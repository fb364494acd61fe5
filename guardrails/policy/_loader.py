"""Policy files: YAML/TOML/JSON/dict -> pydantic validation -> frozen :class:`Policy`.

Every error is a :class:`~guardrails.PolicyError` naming the file, the line (YAML) or path
(``rules[2].approval.quorum``) and the field; nothing is half-loaded.

Size limits, checked before anything is parsed further: :data:`MAX_POLICY_BYTES` of text (a file is
measured before it is read), :data:`MAX_DOCUMENT_VALUES` values (YAML aliases expanded),
:data:`MAX_DOCUMENT_DEPTH` levels of nesting and :data:`~guardrails.policy._policy.MAX_RULES`
rules; each condition is limited in :mod:`guardrails.policy._conditions`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guardrails._errors import ConfigurationError, InputError, PolicyError
from guardrails.identity import Principal
from guardrails.policy._model import ApprovalSpec, ApproverSet, Escalation, Rule, ToolSettings
from guardrails.policy._policy import MAX_RULES, Policy
from guardrails.policy._schema import (
    ApprovalDoc,
    ApproversDoc,
    PolicyDoc,
)

__all__ = [
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_VALUES",
    "MAX_POLICY_BYTES",
    "load_policy",
    "policy_from_dict",
    "policy_from_toml",
    "policy_from_yaml",
]

Path_ = tuple[str | int, ...]
MAX_POLICY_BYTES = 1024 * 1024
MAX_DOCUMENT_VALUES = 100_000
MAX_DOCUMENT_DEPTH = 64
_TOO_DEEP = f"the document is nested too deeply (the limit is {MAX_DOCUMENT_DEPTH} levels)"


# -- locating errors ---------------------------------------------------------------------------


def _path_text(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


class _Locator:
    """Maps a document path to ``line N`` (YAML) or leaves it as a path (dict/TOML)."""

    def __init__(self, node: yaml.Node | None = None) -> None:
        self._node = node

    def __call__(self, path: Path_) -> str:
        line = self._line(path)
        return f"line {line} ({_path_text(path)})" if line else _path_text(path)

    def _line(self, path: Path_) -> int | None:
        node = self._node
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = next(((k, v) for k, v in node.value if k.value == part), None)
                if found is None:
                    return line
                line, node = found[0].start_mark.line + 1, found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _bare(exc: ConfigurationError) -> str:
    # PolicyError prefixes its message with its own location; re-located errors keep only the text.
    text = str(exc)
    if isinstance(exc, PolicyError):
        prefix = (
            exc.source
            + (f", {exc.location}" if exc.location else "")
            + (f", field {exc.field!r}" if exc.field else "")
            + ": "
        )
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


@contextmanager
def _at(source: str, locate: _Locator, path: Path_, field: str | None) -> Iterator[None]:
    try:
        yield
    except ConfigurationError as exc:
        where = path + ((exc.field,) if isinstance(exc, PolicyError) and exc.field else ())
        fld = (exc.field if isinstance(exc, PolicyError) else None) or field
        raise PolicyError(_bare(exc), source=source, location=locate(where), field=fld) from exc


# -- building ----------------------------------------------------------------------------------


def _approvers(doc: ApproversDoc) -> ApproverSet:
    return ApproverSet(
        users=frozenset(doc.users),
        groups=frozenset(doc.groups),
        roles=frozenset(doc.roles),
        any_human=doc.any_human,
    )


def _approval(doc: ApprovalDoc | None, base: ApprovalSpec) -> ApprovalSpec:
    if doc is None:
        return base
    return ApprovalSpec(
        approvers=_approvers(doc.approvers) if doc.approvers else base.approvers,
        quorum=doc.quorum if doc.quorum is not None else base.quorum,
        expires_in=doc.expires_in if doc.expires_in is not None else base.expires_in,
        decisions=frozenset(doc.decisions) if doc.decisions is not None else base.decisions,
        reason_required=(
            doc.reason_required if doc.reason_required is not None else base.reason_required
        ),
        reviewer_may_see=(
            frozenset(doc.reviewer_may_see)
            if doc.reviewer_may_see is not None
            else base.reviewer_may_see
        ),
        escalation=(
            Escalation(after=doc.escalation.after, to=_approvers(doc.escalation.to))
            if doc.escalation
            else base.escalation
        ),
    )


def _build(doc: PolicyDoc, source: str, locate: _Locator) -> Policy:
    with _at(source, locate, ("approval",), None):
        approval = _approval(doc.approval, ApprovalSpec())
    tools: dict[str, ToolSettings] = {}
    for name, tdoc in doc.tools.items():
        with _at(source, locate, ("tools", name, "restore"), "restore"):
            tools[name] = ToolSettings(
                restore_entities=frozenset(tdoc.restore), redact_output=tdoc.redact_output
            )
    rules: list[Rule] = []
    for i, rdoc in enumerate(doc.rules):
        with _at(source, locate, ("rules", i), None):
            rules.append(
                Rule(
                    name=rdoc.name,
                    effect=rdoc.effect,
                    tools=tuple(rdoc.tools),
                    tags=frozenset(rdoc.tags),
                    metadata=rdoc.metadata,
                    when=rdoc.when,
                    reason=rdoc.reason,
                    approval=(
                        _approval(rdoc.approval, approval)
                        if rdoc.effect == "require_approval"
                        else None
                    ),
                )
            )
            if rdoc.approval is not None and rdoc.effect != "require_approval":
                raise PolicyError(
                    "'approval' is only valid with effect require_approval", field="approval"
                )
    principals: list[Principal] = []
    identities: dict[tuple[str, str], str] = {}
    for i, pdoc in enumerate(doc.principals):
        with _at(source, locate, ("principals", i), None):
            principals.append(
                Principal(
                    id=pdoc.id,
                    kind=pdoc.kind,
                    display_name=pdoc.name,
                    groups=frozenset(pdoc.groups),
                    roles=frozenset(pdoc.roles),
                    email=pdoc.email,
                )
            )
            for channel, subjects in pdoc.identities.items():
                for subject in subjects:
                    if (channel, subject) in identities:
                        raise PolicyError(
                            f"identity {channel}:… is mapped to two principals",
                            field="identities",
                        )
                    identities[(channel, subject)] = pdoc.id
    try:
        return Policy(
            rules=tuple(rules),
            default=doc.default,
            default_reason=doc.default_reason,
            approval=approval,
            privileged_tags=frozenset(doc.privileged_tags),
            tools=tools,
            lists=doc.lists,
            principals=tuple(principals),
            identities=identities,
            name=doc.name,
            source=source,
        )
    except PolicyError as exc:
        path = _parse_path(exc.location or "")
        raise PolicyError(
            _bare(exc), source=source, location=locate(path), field=exc.field
        ) from exc
    except (ConfigurationError, InputError) as exc:
        raise PolicyError(str(exc), source=source) from exc


def _parse_path(text: str) -> Path_:
    parts: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _validate(data: Any, source: str, locate: _Locator) -> Policy:
    try:
        return _validate_document(data, source, locate)
    except RecursionError:  # a hostile or recursive (YAML alias) structure
        raise PolicyError(_TOO_DEEP, source=source) from None


def _check_text(text: str, source: str) -> None:
    if (
        len(text) > MAX_POLICY_BYTES
        or len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES
    ):
        raise PolicyError(_too_big(len(text.encode("utf-8", "surrogatepass"))), source=source)


def _too_big(size: int) -> str:
    return f"the policy is {size} bytes; the limit is {MAX_POLICY_BYTES} bytes (1 MiB)"


def _check_shape(data: Mapping[str, Any], source: str, locate: _Locator) -> None:
    """Count values and depth without recursion (a dict may be cyclic), then the rules."""
    count, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_DOCUMENT_VALUES:
            raise PolicyError(
                f"the document holds more than {MAX_DOCUMENT_VALUES} values (the limit)",
                source=source,
            )
        if isinstance(node, Mapping | list | tuple):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise PolicyError(_TOO_DEEP, source=source)
            children = [*node.keys(), *node.values()] if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    rules = data.get("rules")
    if isinstance(rules, list | tuple) and len(rules) > MAX_RULES:
        raise PolicyError(
            f"the policy has {len(rules)} rules; the limit is {MAX_RULES}",
            source=source,
            location=locate(("rules",)),
            field="rules",
        )


def _validate_document(data: Any, source: str, locate: _Locator) -> Policy:
    if not isinstance(data, Mapping):
        raise PolicyError("a policy document must be a mapping at the top level", source=source)
    _check_shape(data, source, locate)
    try:
        doc = PolicyDoc.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        field = next((p for p in reversed(loc) if isinstance(p, str)), None)
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        msg = msg.removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise PolicyError(msg + more, source=source, location=locate(loc), field=field) from None
    return _build(doc, source, locate)


def policy_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Policy:
    """Validate a policy document given as a dict."""
    return _validate(data, source, _Locator())


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: a repeated key would silently drop a rule."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_MAX_NODES = MAX_DOCUMENT_VALUES


def _expanded_size(root: yaml.Node) -> int:
    """Node count with every alias expanded, computed once per distinct node (no recursion)."""
    sizes: dict[int, int] = {}
    opened: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes or (not ready and id(node) in opened):
            continue
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            sizes[id(node)] = 1
            continue
        if ready:
            # A child still missing is an ancestor (a recursive alias): count it once.
            sizes[id(node)] = min(_MAX_NODES + 1, 1 + sum(sizes.get(id(c), 1) for c in children))
        else:
            opened.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def policy_from_yaml(text: str, *, source: str = "<yaml>") -> Policy:
    """Parse and validate YAML text; syntax and validation errors carry line numbers."""
    _check_text(text, source)
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        if node is not None and _expanded_size(node) > _MAX_NODES:
            # Billion laughs: a few aliases expand to millions of nodes once validated/hashed.
            raise PolicyError(
                f"the document expands to more than {_MAX_NODES} nodes (YAML alias bomb?)",
                source=source,
            )
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise PolicyError(
            f"YAML syntax error: {exc.problem or exc.context}", source=source, location=where
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error: {type(exc).__name__}", source=source) from None
    except RecursionError:
        raise PolicyError(_TOO_DEEP, source=source) from None
    return _validate(data if data is not None else {}, source, _Locator(node))


def policy_from_toml(text: str, *, source: str = "<toml>") -> Policy:
    """Parse and validate TOML text."""
    _check_text(text, source)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise PolicyError(_TOO_DEEP, source=source) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {m.group(1)}, column {m.group(2)}" if m else None
        msg = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise PolicyError(f"TOML syntax error: {msg}", source=source, location=where) from None
    return _validate(data, source, _Locator())


def load_policy(path: str | Path) -> Policy:
    """Load a policy file; the format follows the extension (.yaml/.yml/.toml/.json)."""
    p = Path(path)
    source = str(p)
    try:
        size = p.stat().st_size
        if size > MAX_POLICY_BYTES:  # refused before reading a byte of it
            raise PolicyError(_too_big(size), source=source)
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file ({exc.strerror})", source=source) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"the policy file is not UTF-8 (byte offset {exc.start})", source=source
        ) from None
    suffix = p.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return policy_from_yaml(text, source=source)
    if suffix == ".toml":
        return policy_from_toml(text, source=source)
    if suffix == ".json":
        _check_text(text, source)
        try:
            data = json.loads(text)
        except RecursionError:
            raise PolicyError(_TOO_DEEP, source=source) from None
        except json.JSONDecodeError as exc:
            raise PolicyError(
                f"JSON syntax error: {exc.msg}", source=source, location=f"line {exc.lineno}"
            ) from None
        return _validate(data, source, _Locator())
    raise PolicyError(
        "unknown policy file extension (use .yaml, .yml, .toml or .json)", source=source
    )
