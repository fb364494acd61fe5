"""Thin adapters that translate framework and channel objects into :mod:`guardrails` core calls.

One module or small package per framework or channel: ``langchain``, ``langgraph``, ``openai``,
``slack``, ``teams``, ``http``, ``notebook``. Each raises
:class:`guardrails.MissingDependencyError` with the install command when its extra is missing.
"""
