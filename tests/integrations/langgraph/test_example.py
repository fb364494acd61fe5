"""The example guarded agent (for langgraph.json, the demo and the notebook) works offline."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from integrations.langgraph import example


def test_module_exposes_a_compiled_graph() -> None:
    """``graph`` is a compiled graph Studio can load (no checkpointer of its own)."""
    assert hasattr(example.graph, "invoke")
    assert example.graph.checkpointer is None


def test_refund_waits_for_another_human_and_state_stays_masked(monkeypatch) -> None:
    """Scripted local model: lookup gets the real e-mail, the refund waits, state is masked."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    seen: list[str] = []
    g = example.build_graph(checkpointer=InMemorySaver(), vault_key=b"e" * 32)
    lookup = example.lookup_customer.func
    monkeypatch.setattr(
        example.lookup_customer, "func", lambda email: seen.append(email) or lookup(email)
    )
    out = g.invoke(
        {"messages": [{"role": "user", "content": "Refund jane.doe@example.com 40"}]},
        {"configurable": {"thread_id": "ex", "user_id": "alice"}},
        version="v2",
    )
    card = out.interrupts[0].value
    assert (card["name"], card["args"]["amount"], card["requester"]) == (
        "issue_refund",
        40,
        "alice",
    )
    out = g.invoke(
        Command(resume={out.interrupts[0].id: "approve"}),
        {"configurable": {"thread_id": "ex", "user_id": "bob"}},
        version="v2",
    )
    assert seen == ["jane.doe@example.com"]
    assert "refund of 40 issued" in out.value["messages"][-1].content
    assert "jane.doe@example.com" not in repr(out.value)
