"""The one exception tree of action-guardrails.

Messages never contain a raw sensitive value: they name entity types, counts, field paths and
request ids. Matched values, when kept at all, live in attributes that are excluded from ``repr``.

::

    GuardrailsError                      every error we raise
    ├── ConfigurationError               a usage mistake, raised when an object is built
    │   ├── PatternError                 a custom pattern that does not compile or is not linear-time
    │   ├── PolicyError                  a policy file/dict that does not validate (names file, path, field)
    │   └── MissingDependencyError       an optional extra is not installed (says the pip command)
    ├── InputError (also TypeError)      wrong type, bytes, None, cyclic or too-deep data
    │   └── RequestBlocked               an outbound request we cannot make safe; nothing was sent
    ├── RedactionError                   detection or masking failed: the caller must fail closed
    ├── VaultError                       vault serialization / placeholder problems
    │   └── VaultDecryptionError         wrong key, or the ciphertext was altered
    ├── ActionBlocked                    a runtime outcome: the tool call does not run
    │   ├── ActionDenied                 policy said deny (``reason`` is safe to show the model)
    │   ├── ApprovalRejected             a human rejected the call
    │   ├── ApprovalExpired              the request expired before a valid decision (not a rejection)
    │   └── DecisionRefused              a decision failed verification (``code`` says why)
    ├── ApprovalError                    the approval service could not do what was asked
    │   └── UnknownRequestError          no such approval request
    └── AuditError
        └── AuditIntegrityError          the hash chain does not verify (``first_bad_seq``)

    GuardrailsSignal (Exception, not an error)
    └── ApprovalRequired                 control flow: the call waits for a human decision
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActionBlocked",
    "ActionDenied",
    "ApprovalError",
    "ApprovalExpired",
    "ApprovalRejected",
    "ApprovalRequired",
    "AuditError",
    "AuditIntegrityError",
    "ConfigurationError",
    "DecisionRefused",
    "GuardrailsError",
    "GuardrailsSignal",
    "InputError",
    "MissingDependencyError",
    "PatternError",
    "PolicyError",
    "RedactionError",
    "RequestBlocked",
    "UnknownRequestError",
    "VaultDecryptionError",
    "VaultError",
]


class GuardrailsError(Exception):
    """Base class of every error raised by action-guardrails."""


class ConfigurationError(GuardrailsError):
    """A usage mistake detected when an object is built."""


class PatternError(ConfigurationError):
    """A custom entity pattern is invalid (does not compile, or is not linear-time)."""


class PolicyError(ConfigurationError):
    """A policy does not validate.

    Attributes:
        source: the file name or ``"<dict>"``.
        location: a line number (``"line 12"``) or a path into the document (``"rules[2].when"``).
        field: the offending field name, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<dict>",
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.location = location
        self.field = field
        where = (
            source + (f", {location}" if location else "") + (f", field {field!r}" if field else "")
        )
        super().__init__(f"{where}: {message}")


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional dependency is missing; the message carries the install command."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{package} is required for this feature. "
            f'Please install it with: pip install "action-guardrails[{extra}]"'
        )


class InputError(GuardrailsError, TypeError):
    """The input has the wrong type or shape (bytes, None, a cycle, too deep)."""


class RequestBlocked(InputError):
    """An outbound request could not be made safe (an endpoint or parameter we do not understand,
    content we cannot inspect, an oversized or malformed body); nothing was sent.

    Attributes:
        where: the endpoint path or the field path (``messages[2].content``), never a value.
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        self.where = where
        super().__init__(message)


class RedactionError(GuardrailsError):
    """Detection or masking failed; nothing was returned half-masked."""


class VaultError(GuardrailsError):
    """A vault could not be used, serialized or restored."""


class VaultDecryptionError(VaultError):
    """A serialized vault could not be decrypted: another key, or altered ciphertext."""


class ActionBlocked(GuardrailsError):
    """A tool call was not executed. ``reason`` is safe to show to the model and to users."""

    def __init__(
        self, reason: str, *, request_id: str | None = None, tool: str | None = None
    ) -> None:
        self.reason = reason
        self.request_id = request_id
        self.tool = tool
        super().__init__(reason)


class ActionDenied(ActionBlocked):
    """The policy denied the call."""


class ApprovalRejected(ActionBlocked):
    """A human approver rejected the call."""


class ApprovalExpired(ActionBlocked):
    """The approval request expired before a valid decision; fails closed, distinct from rejection."""


class DecisionRefused(ActionBlocked):
    """A decision failed verification.

    Attributes:
        code: a stable machine-readable reason, e.g. ``"self_approval"``, ``"not_authorized"``,
            ``"digest_mismatch"``, ``"replayed"``, ``"bad_signature"``, ``"expired"``.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str,
        request_id: str | None = None,
        tool: str | None = None,
    ) -> None:
        self.code = code
        super().__init__(reason, request_id=request_id, tool=tool)


class ApprovalError(GuardrailsError):
    """The approval service could not perform an operation."""


class UnknownRequestError(ApprovalError, KeyError):
    """No approval request with that id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown approval request"


class AuditError(GuardrailsError):
    """The audit trail could not be written or read."""


class AuditIntegrityError(AuditError):
    """The audit hash chain does not verify.

    Attributes:
        first_bad_seq: the sequence number of the first event that does not verify.
        problem: ``"edited"``, ``"deleted"``, ``"reordered"``, ``"inserted"`` or ``"malformed"``.
    """

    def __init__(self, message: str, *, first_bad_seq: int, problem: str) -> None:
        self.first_bad_seq = first_bad_seq
        self.problem = problem
        super().__init__(message)


class GuardrailsSignal(Exception):
    """Base of control-flow signals. Not a :class:`GuardrailsError`."""


class ApprovalRequired(GuardrailsSignal):
    """The tool call needs a human decision before it can run.

    Attributes:
        request: the :class:`~guardrails.approvals.ApprovalRequest` (masked; safe to display).
    """

    def __init__(self, request: Any) -> None:
        self.request = request
        rid = getattr(request, "id", "?")
        tool = getattr(request, "tool_name", "?")
        super().__init__(f"approval required for tool {tool!r} (request {rid})")
