"""Tracing callbacks of a guarded tool's run carry placeholders, never the restored or raw values.

A guarded tool runs with restored arguments and produces raw output; a model it calls inside
sees them too. Every callback handler the caller configured (a custom ``BaseCallbackHandler``,
a tracer, ``astream_events``) must see that run and everything under it masked, while the run
itself stays traced. The agent's model is the real ``ChatOpenAI`` client on the loopback server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tools import tool
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langsmith import Client, traceable

from guardrails.guard import ToolGuard
from guardrails.policy import Policy
from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware, guard_tools
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply
from tests.support.openai_server import ChatReply, OpenAIServer, ToolCall

EMAIL = "jane.doe@example.com"
SSN = "536-22-8714"
RAW = (EMAIL, SSN)
POLICY = {"tools": {"send_email": {"restore": ["EMAIL_ADDRESS"]}}}

_EVENTS = (
    "on_tool_start",
    "on_tool_end",
    "on_tool_error",
    "on_chain_start",
    "on_chain_end",
    "on_chain_error",
    "on_chat_model_start",
    "on_llm_start",
    "on_llm_new_token",
    "on_llm_end",
    "on_llm_error",
    "on_custom_event",
    "on_text",
)


class Recorder(BaseCallbackHandler):
    """A custom handler that keeps every argument of every event it is given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


def _recording(name: str) -> Any:
    def method(self: Recorder, *args: Any, **kwargs: Any) -> None:
        self.events.append((name, args, kwargs))

    return method


for _name in _EVENTS:
    setattr(Recorder, _name, _recording(_name))


class RunsTracer(BaseTracer):
    """A tracer (the base class of LangSmith's) that keeps every finished run."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[Run] = []

    def _persist_run(self, run: Run) -> None:
        pass

    def _end_trace(self, run: Run) -> None:
        self.finished.append(run.model_copy())
        super()._end_trace(run)


def _seen(tracer: RunsTracer) -> str:
    return "\n".join(
        repr((r.name, r.inputs, r.outputs, r.error, r.serialized, r.events))
        for r in tracer.finished
    )


def _tools(inner_model: ScriptedChatModel) -> list[Any]:
    @tool
    def lookup_customer(customer_id: str) -> str:
        """Look up a customer record by id."""
        return f'{{"id": "{customer_id}", "email": "{EMAIL}", "ssn": "{SSN}", "plan": "gold"}}'

    @traceable
    def deliver(to: str, text: str) -> str:  # a LangSmith-traced helper inside the tool
        return f"sent to {to}: {text}"

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an e-mail."""
        draft = inner_model.invoke(f"Write to {to}: {body}")  # a model inside the tool
        return deliver(to, str(draft.content))

    return [lookup_customer, send_email]


def _inner() -> ScriptedChatModel:
    return ScriptedChatModel(script=[reply(f"Dear {EMAIL}, your plan is gold.")])


def _chat(server: OpenAIServer) -> ChatOpenAI:
    server.script(
        ChatReply(
            tool_calls=[
                ToolCall(name="lookup_customer", arguments={"customer_id": "cus_8812"}, id="t1")
            ]
        ),
        ChatReply(
            tool_calls=[
                ToolCall(
                    name="send_email",
                    arguments={"to": "<EMAIL_ADDRESS_1>", "body": "Your plan is gold"},
                    id="t2",
                )
            ]
        ),
        ChatReply(text="Done."),
    )
    return ChatOpenAI(
        model="gpt-test", base_url=server.base_url, api_key="sk-test-key", max_retries=0
    )


def _agent(server: OpenAIServer, inner: ScriptedChatModel) -> Any:
    mw = GuardrailsMiddleware(
        redactor=Redactor(), policy=Policy.from_dict(POLICY), vault_key=b"t" * 32
    )
    return create_agent(_chat(server), _tools(inner), middleware=[mw], checkpointer=InMemorySaver())


def _guarded_node_graph(server: OpenAIServer, inner: ScriptedChatModel) -> Any:
    guard = ToolGuard(redactor=Redactor(), policy=Policy.from_dict(POLICY))
    node = GuardedToolNode(_tools(inner), guard=guard, vault_key=b"t" * 32)
    model = _chat(server).bind_tools(_tools(inner))
    b = StateGraph(GuardedState)
    b.add_node("redact", RedactionNode(node.graph_guard))
    b.add_node(
        "model",
        BoundModelNode(lambda s: {"messages": [model.invoke(s["messages"])]}, node.graph_guard),
    )
    b.add_node("tools", node)
    b.add_edge(START, "redact")
    b.add_edge("redact", "model")
    b.add_conditional_edges("model", tools_condition)
    b.add_edge("tools", "redact")
    return b.compile(checkpointer=InMemorySaver())


def _guard_tools_graph(server: OpenAIServer, inner: ScriptedChatModel) -> Any:
    del server  # the model sees guarded tool output only; a scripted one is enough here
    wrapped = guard_tools(
        _tools(inner), redactor=Redactor(), policy=Policy.from_dict(POLICY), vault_key=b"t" * 32
    )
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "cus_8812"})),
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "Your plan"})),
            reply("Done."),
        ]
    )
    b = StateGraph(MessagesState)
    b.add_node("model", lambda s: {"messages": [model.invoke(s["messages"])]})
    b.add_node("tools", ToolNode(wrapped))
    b.add_edge(START, "model")
    b.add_conditional_edges("model", tools_condition)
    b.add_edge("tools", "model")
    return b.compile(checkpointer=InMemorySaver())


BUILDERS = {
    "middleware": _agent,
    "guarded_tool_node": _guarded_node_graph,
    "guard_tools": _guard_tools_graph,
}
_INPUT = {"messages": [{"role": "user", "content": "Look up cus_8812 and mail them their plan."}]}


def _config(thread: str, *handlers: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, "user_id": "alice"}, "callbacks": list(handlers)}


def _check_tool_run_traced_masked(tracer: RunsTracer, inner: ScriptedChatModel) -> None:
    seen = _seen(tracer)
    for value in RAW:
        assert value not in seen, value
    sends = [r for r in tracer.finished if r.run_type == "tool" and r.name == "send_email"]
    assert sends, "the guarded tool's run is still traced"
    assert "<EMAIL_ADDRESS_1>" in repr(sends[0].inputs)
    # The model inside the tool stays traced, under the tool's run, masked.
    drafts = [r for r in tracer.finished if "Write to <EMAIL_ADDRESS_1>" in repr(r.inputs)]
    assert drafts
    assert drafts[0].run_type == "llm"
    assert drafts[0].parent_run_id == sends[0].id
    assert drafts[0].name == "ScriptedChatModel"
    # The tool really ran with the restored value (the inner model was sent it).
    assert EMAIL in str(inner.sent[0][0].content)


@pytest.mark.parametrize("graph", sorted(BUILDERS))
def test_handlers_and_tracers_see_no_restored_or_raw_value(
    openai_server: OpenAIServer, graph: str
) -> None:
    """invoke with a custom handler and a tracer: every recorded run and event is masked."""
    inner = _inner()
    app = BUILDERS[graph](openai_server, inner)
    recorder, tracer = Recorder(), RunsTracer()
    app.invoke(_INPUT, _config(f"sync-{graph}", recorder, tracer))
    assert any(e[0] == "on_tool_start" for e in recorder.events)
    seen = repr(recorder.events)
    for value in RAW:
        assert value not in seen, value
    _check_tool_run_traced_masked(tracer, inner)


@pytest.mark.parametrize("graph", sorted(BUILDERS))
def test_astream_events_of_an_unprotected_graph_carry_no_restored_or_raw_value(
    openai_server: OpenAIServer, graph: str
) -> None:
    """astream_events v2 (async tool path) with a tracer too: no raw value in any event."""
    inner = _inner()
    app = BUILDERS[graph](openai_server, inner)
    tracer = RunsTracer()

    async def run() -> list[Any]:
        return [
            e
            async for e in app.astream_events(
                _INPUT, _config(f"events-{graph}", tracer), version="v2"
            )
        ]

    events = asyncio.run(run())
    seen = repr(events)
    for value in RAW:
        assert value not in seen, value
    starts = [e for e in events if e["event"] == "on_tool_start" and e["name"] == "send_email"]
    assert starts
    assert "<EMAIL_ADDRESS_1>" in repr(starts[0]["data"])
    _check_tool_run_traced_masked(tracer, inner)


def test_a_run_collector_hook_sees_the_tool_runs_masked(openai_server: OpenAIServer) -> None:
    """collect_runs() (a context-variable hook LangChain adds to every run) gets masked runs."""
    from langchain_core.tracers.context import collect_runs

    inner = _inner()
    app = _agent(openai_server, inner)
    with collect_runs() as collector:
        app.invoke(_INPUT, _config("hook"))
    runs: list[Any] = []
    todo = list(collector.traced_runs)
    while todo:  # every run of the trees
        run = todo.pop()
        runs.append(run)
        todo.extend(run.child_runs)
    seen = repr([(r.name, r.inputs, r.outputs, r.error) for r in runs])
    for value in RAW:
        assert value not in seen, value
    assert "send_email" in seen
    assert "Write to <EMAIL_ADDRESS_1>" in seen


@pytest.mark.parametrize("graph", ["middleware", "guard_tools"])
def test_a_failing_tool_reaches_tracers_with_its_error_masked(graph: str) -> None:
    """The tool raises with the restored value in its message: tracers record it masked."""
    seen_by_tool: list[str] = []

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an e-mail."""
        seen_by_tool.append(to)
        raise ValueError(f"mailbox {to} is full")

    tracer, recorder = RunsTracer(), Recorder()
    gg = GraphGuard(
        ToolGuard(redactor=Redactor(), policy=Policy.from_dict(POLICY)), vault_key=b"t" * 32
    )
    model = ScriptedChatModel(
        script=[reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}))]
    )
    if graph == "middleware":
        mw = GuardrailsMiddleware(guard=gg.guard, vault_key=b"t" * 32)
        app = mw.protect(create_agent(model, [send_email], middleware=[mw]))
        prompt = f"Mail {EMAIL} please"  # the thread's vault learns the value from the input
    else:
        b = StateGraph(MessagesState)
        b.add_node("model", lambda s: {"messages": [model.invoke(s["messages"])]})
        b.add_node("tools", ToolNode(guard_tools([send_email], guard=gg)))
        b.add_edge(START, "model")
        b.add_conditional_edges("model", tools_condition)
        b.add_edge("tools", "model")
        app = b.compile()
        gg.keeper.session("err", None).redact_text(EMAIL)  # the thread's vault knows it
        prompt = "Mail <EMAIL_ADDRESS_1> please"
    with pytest.raises(ValueError, match="EMAIL_ADDRESS_1"):
        app.invoke(
            {"messages": [{"role": "user", "content": prompt}]}, _config("err", recorder, tracer)
        )
    assert seen_by_tool == [EMAIL]  # the tool did get the restored value
    errors = [r.error for r in tracer.finished if r.error]
    assert errors, "the tool's failure is still traced"
    assert any("<EMAIL_ADDRESS_1>" in e for e in errors)
    seen = _seen(tracer) + repr(recorder.events)
    for value in RAW:
        assert value not in seen, value


def test_langsmith_receives_the_tool_runs_masked(openai_server: OpenAIServer) -> None:
    """A real LangSmith client (tracing_v2_enabled) posting to a loopback endpoint: the tool's
    runs arrive masked; a @traceable helper inside the tool does not start a raw trace."""
    from langchain_core.tracers.context import tracing_v2_enabled

    from tests.support.openai_server import RawReply

    with OpenAIServer(handler=lambda r: RawReply(status=200, body=b"{}")) as smith:
        client = Client(
            api_url=smith.base_url.removesuffix("/v1"),
            api_key="lsv2-test",
            auto_batch_tracing=False,
        )
        app = _agent(openai_server, _inner())
        with tracing_v2_enabled(project_name="gaps", client=client):
            app.invoke(_INPUT, _config("smith"))
        client.flush()
        wire = smith.wire_text()
    for value in RAW:
        assert value not in wire, value
    assert "send_email" in wire
    assert "Write to <EMAIL_ADDRESS_1>" in wire  # the model inside the tool: traced, masked


@pytest.mark.parametrize("use_async", [False, True])
def test_parallel_guarded_calls_are_each_traced_masked(use_async: bool) -> None:
    """Two restored calls in one tool step (threads when sync, tasks when async): each run is
    traced, none raw; the per-call scopes do not leak into each other."""
    inner = ScriptedChatModel(script=[reply(f"Dear {EMAIL}"), reply(f"Dear {EMAIL} again")])
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "c1"})),
            reply(
                "",
                call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "a"}),
                call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "b"}),
            ),
            reply("done"),
        ]
    )
    mw = GuardrailsMiddleware(
        redactor=Redactor(), policy=Policy.from_dict(POLICY), vault_key=b"t" * 32
    )
    app = create_agent(model, _tools(inner), middleware=[mw])
    tracer, recorder = RunsTracer(), Recorder()
    cfg = _config(f"par-{use_async}", tracer, recorder)
    user = {"messages": [{"role": "user", "content": "go"}]}
    events: list[Any] = []
    if use_async:

        async def run() -> list[Any]:
            return [e async for e in app.astream_events(user, cfg, version="v2")]

        events = asyncio.run(run())
    else:
        app.invoke(user, cfg)
    seen = _seen(tracer) + repr(recorder.events) + repr(events)
    for value in RAW:
        assert value not in seen, value
    assert sum(r.name == "send_email" for r in tracer.finished) == 2
    assert len(inner.sent) == 2
    assert all(EMAIL in str(m[0].content) for m in inner.sent)  # both ran restored


class EnvHookRecorder(Recorder):
    """A handler a package would register with ``register_configure_hook(..., env_var=...)``."""

    instances: list[EnvHookRecorder] = []  # every instance LangChain creates

    def __init__(self) -> None:
        super().__init__()
        EnvHookRecorder.instances.append(self)


@pytest.mark.parametrize("graph", sorted(BUILDERS))
def test_an_env_var_configure_hook_sees_the_tool_runs_masked(
    openai_server: OpenAIServer, graph: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook turned on by an environment variable: LangChain creates its handler by itself
    (``handler_class()``) wherever a run has none of that class. Under a guarded tool the
    caller's instance is wrapped, so LangChain would add a fresh, raw one: every instance must
    see the tool's run, and the model inside it, masked."""
    from contextvars import ContextVar

    from langchain_core.tracers.context import _configure_hooks, register_configure_hook

    var: ContextVar[Any] = ContextVar("guardrails_test_env_hook", default=None)
    monkeypatch.setenv("GUARDRAILS_TEST_ENV_HOOK", "true")
    EnvHookRecorder.instances.clear()
    register_configure_hook(var, True, EnvHookRecorder, "GUARDRAILS_TEST_ENV_HOOK")
    try:
        inner = _inner()
        BUILDERS[graph](openai_server, inner).invoke(_INPUT, _config(f"env-hook-{graph}"))
    finally:
        _configure_hooks[:] = [h for h in _configure_hooks if h[0] is not var]
    assert EMAIL in str(inner.sent[0][0].content)  # the tool ran with the restored value
    assert EnvHookRecorder.instances
    events = [e for h in EnvHookRecorder.instances for e in h.events]
    seen = repr(events)
    for value in RAW:
        assert value not in seen, value
    # the run under the tool is still reported, masked
    assert any(
        e[0] == "on_chat_model_start" and "Write to <EMAIL_ADDRESS_1>" in repr(e[1]) for e in events
    )
