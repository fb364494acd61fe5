"""action-guardrails core: detection, masking, vault, policy, approvals, audit, identity.

Framework-free: nothing under ``guardrails`` imports LangChain, LangGraph, Slack, FastAPI or OpenAI.
Public names are resolved lazily so ``import guardrails`` stays cheap.

Example:
    >>> from guardrails import Redactor
    >>> Redactor().redact("mail jane.doe@example.com").text
    'mail <EMAIL_ADDRESS_1>'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from guardrails._errors import (
    ActionBlocked,
    ActionDenied,
    ApprovalError,
    ApprovalExpired,
    ApprovalRejected,
    ApprovalRequired,
    AuditError,
    AuditIntegrityError,
    ConfigurationError,
    DecisionRefused,
    GuardrailsError,
    GuardrailsSignal,
    InputError,
    MissingDependencyError,
    PatternError,
    PolicyError,
    RedactionError,
    RequestBlocked,
    UnknownRequestError,
    VaultDecryptionError,
    VaultError,
)
from guardrails._types import Detector, Span

__version__ = "0.1.0"

# public name -> module that defines it (filled as the modules land; tested in test_exports).
_LAZY: dict[str, str] = {
    "Redactor": "guardrails.redactor",
    "RedactionResult": "guardrails.redactor",
    "DataRedactionResult": "guardrails.redactor",
    "Operator": "guardrails.masking",
    "Placeholder": "guardrails.masking",
    "Redact": "guardrails.masking",
    "Mask": "guardrails.masking",
    "KeyedHash": "guardrails.masking",
    "Encrypt": "guardrails.masking",
    "Vault": "guardrails.vault",
    "restore": "guardrails.vault",
    "CustomEntity": "guardrails.detection",
    "ENTITIES": "guardrails.detection",
    "AuditLog": "guardrails.audit",
    "AuditEvent": "guardrails.audit",
    "AuditSink": "guardrails.audit",
    "RedactionSession": "guardrails.session",
    "SessionStore": "guardrails.session",
    "Policy": "guardrails.policy",
    "Rule": "guardrails.policy",
    "ToolCall": "guardrails.policy",
    "Principal": "guardrails.identity",
    "ApprovalService": "guardrails.approvals",
    "ApprovalRequest": "guardrails.approvals",
    "Decision": "guardrails.approvals",
    "ToolGuard": "guardrails.guard",
}

__all__ = [
    "ENTITIES",
    "ActionBlocked",
    "ActionDenied",
    "ApprovalError",
    "ApprovalExpired",
    "ApprovalRejected",
    "ApprovalRequest",
    "ApprovalRequired",
    "ApprovalService",
    "AuditError",
    "AuditEvent",
    "AuditIntegrityError",
    "AuditLog",
    "AuditSink",
    "ConfigurationError",
    "CustomEntity",
    "DataRedactionResult",
    "Decision",
    "DecisionRefused",
    "Detector",
    "Encrypt",
    "GuardrailsError",
    "GuardrailsSignal",
    "InputError",
    "KeyedHash",
    "Mask",
    "MissingDependencyError",
    "Operator",
    "PatternError",
    "Placeholder",
    "Policy",
    "PolicyError",
    "Principal",
    "Redact",
    "RedactionError",
    "RedactionResult",
    "RedactionSession",
    "Redactor",
    "RequestBlocked",
    "Rule",
    "SessionStore",
    "Span",
    "ToolCall",
    "ToolGuard",
    "UnknownRequestError",
    "Vault",
    "VaultDecryptionError",
    "VaultError",
    "restore",
]

if TYPE_CHECKING:
    from guardrails.approvals import ApprovalRequest, ApprovalService, Decision
    from guardrails.audit import AuditEvent, AuditLog, AuditSink
    from guardrails.detection import ENTITIES, CustomEntity
    from guardrails.guard import ToolGuard
    from guardrails.identity import Principal
    from guardrails.masking import Encrypt, KeyedHash, Mask, Operator, Placeholder, Redact
    from guardrails.policy import Policy, Rule, ToolCall
    from guardrails.redactor import DataRedactionResult, RedactionResult, Redactor
    from guardrails.session import RedactionSession, SessionStore
    from guardrails.vault import Vault, restore


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrails' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
