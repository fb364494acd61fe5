"""The core imports no framework: LangChain, LangGraph, Slack, FastAPI and OpenAI are blocked."""

import subprocess
import sys

BLOCKED = [
    "langchain",
    "langchain_core",
    "langgraph",
    "slack_sdk",
    "fastapi",
    "openai",
    "starlette",
]

SCRIPT = f"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {BLOCKED!r}:
            raise ImportError('framework import from core: ' + name)
        return None
sys.meta_path.insert(0, Block())
import guardrails
for m in pkgutil.walk_packages(guardrails.__path__, 'guardrails.'):
    importlib.import_module(m.name)
for name in guardrails.__all__:
    getattr(guardrails, name)
print('ok')
"""


def test_core_modules_import_without_frameworks() -> None:
    """Every guardrails module and public name loads with framework imports blocked."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
