"""GuardrailsMiddleware end to end on create_agent with a scripted model."""

from __future__ import annotations

from langgraph.types import Command

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


def test_privileged_tool_waits_then_runs_once_after_another_user_approves(
    tools, runs, make_agent
) -> None:
    """A privileged call pauses; bob (not the requester) approves; it runs once."""
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "c1")),
            reply("sent"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()))
    first = agent.invoke(
        {"messages": [{"role": "user", "content": f"mail {EMAIL} please"}]},
        cfg("t1", "alice"),
        version="v2",
    )
    assert runs.count("send_email") == 0
    (intr,) = first.interrupts
    assert intr.value["type"] == "tool_approval"
    assert intr.value["requester"] == "alice"
    assert EMAIL not in str(intr.value)
    agent.invoke(Command(resume={intr.id: {"type": "approve"}}), cfg("t1", "bob"), version="v2")
    assert runs.calls == [("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"})]
    assert EMAIL not in text_sent(model)


async def test_async_agent_gates_redacts_and_runs_once(tools, runs, make_agent) -> None:
    """ainvoke: the async hooks pause the privileged call, resume runs it once, output masked."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("lookup_customer", {"customer_id": "cus_4"}, "x1"),
                call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "x2"),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()))
    first = await agent.ainvoke(
        {"messages": [{"role": "user", "content": "go"}]}, cfg("ta1", "alice"), version="v2"
    )
    (intr,) = first.interrupts
    final = await agent.ainvoke(
        Command(resume={intr.id: {"type": "approve"}}), cfg("ta1", "bob"), version="v2"
    )
    assert sorted(n for n, _ in runs.calls) == ["lookup_customer", "send_email"]
    assert EMAIL not in repr(final.value["messages"])
    assert SSN not in text_sent(model)


def test_no_argument_contract(tools, runs) -> None:
    """GuardrailsMiddleware() alone: everything masked for the model, privileged tools wait for another human."""
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver

    from integrations.langchain import GuardrailsMiddleware

    model = ScriptedChatModel(
        script=[reply("", call("delete_records", {"table": "t"}, "n1")), reply("done")]
    )
    agent = create_agent(
        model,
        list(tools.values()),
        middleware=[GuardrailsMiddleware()],
        checkpointer=InMemorySaver(),
    )
    out = agent.invoke(
        {"messages": [{"role": "user", "content": f"I am {EMAIL}, ssn {SSN}"}]},
        cfg("nd", "alice"),
        version="v2",
    )
    assert EMAIL not in text_sent(model)
    assert SSN not in text_sent(model)
    assert runs.calls == []
    agent.invoke(Command(resume={out.interrupts[0].id: "approve"}), cfg("nd", "bob"), version="v2")
    assert runs.count("delete_records") == 1
