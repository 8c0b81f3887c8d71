"""The OpenAI-compatible provider speaks the chat-completions wire format: the requests it
sends, and the streamed chunks it translates into model events, well-formed or not.

Real httpx requests against the emulator (tests/openai_emulator.py), over a socket; nothing
of ours is mocked.
"""

from __future__ import annotations

import json
import time

import pytest

from canvalo_app.llm.base import Stop, TextDelta, ToolUse, Usage
from tests.openai_fixtures import (  # noqa: F401  (the fixtures `emulator`, `app`, `provider`, …)
    API_KEY,
    LOOKUP,
    LOOKUP_TOOL,
    MODEL,
    USER,
    app_fixture,
    ask,
    emulator_fixture,
    openai_app_fixture,
    provider_fixture,
    run,
    texts,
)
from tests.openai_scripts import (
    Delta,
    done,
    finish,
    raw,
    role,
    stream,
    text,
    text_reply,
    tool_call_deltas,
    tool_reply,
    usage,
)


def chunk_of(**fields) -> str:
    return f"data: {json.dumps({'object': 'chat.completion.chunk', **fields})}\n\n"


def choice_of(**fields) -> str:
    return chunk_of(choices=[{"index": 0, **fields}])


def call_of(**fields) -> str:
    return choice_of(delta={"tool_calls": [fields]})


# --- the request we send, and the stream translated ---------------------------------------


def test_text_streams_in_order_as_it_is_produced(provider, emulator):
    emulator.enqueue(text_reply("Hel", "lo", " world", delay=0.3, usage_=(12, 3)))
    start = time.monotonic()
    arrivals = [(time.monotonic() - start, event) for event in provider.stream(ask())]
    assert [event for _, event in arrivals] == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" world"),
        Stop("end_turn"),
        Usage(12, 3),
    ]
    first, last = arrivals[0][0], arrivals[2][0]
    assert first < 0.25  # forwarded as it arrived, not held until the end
    assert last - first >= 0.5  # the two 0.3 s pauses sit between the first and last delta


def test_request_without_tools_is_a_plain_streamed_completion(provider, emulator):
    run(provider, ask(max_tokens=321))
    (request,) = emulator.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "How are my invoices?"},
        ],
        "max_tokens": 321,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_the_key_is_sent_only_when_configured(openai_app, emulator):
    run(openai_app().extensions["model"])
    run(openai_app(OPENAI_API_KEY=API_KEY).extensions["model"])
    without, with_key = (request["headers"] for request in emulator.requests)
    assert without.get("Authorization") is None
    assert with_key["Authorization"] == f"Bearer {API_KEY}"


def test_tool_call_is_assembled_and_the_conversation_translated(provider, emulator):
    emulator.enqueue(
        tool_reply(("call_1", "lookup_invoice", {"number": "INV-7"}), text_before="Checking."),
        text_reply("INV-7 is paid."),
    )
    first, error = run(provider, ask([LOOKUP], tool_choice="any"))
    assert error is None
    assert first == [
        TextDelta("Checking."),
        ToolUse("call_1", "lookup_invoice", {"number": "INV-7"}),
        Stop("tool_use"),
        Usage(10, 5),
    ]
    result = {"json": {"outcome": "ok", "result": {"status": "paid", "total": 1250.5}}}
    use = {"toolUseId": "call_1", "name": "lookup_invoice", "input": {"number": "INV-7"}}
    follow_up = [
        *USER,
        {"role": "assistant", "content": [{"text": "Checking."}, {"toolUse": use}]},
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [result], "status": "success"}}
            ],
        },
    ]
    second, error = run(provider, ask([LOOKUP], follow_up))
    assert (error, texts(second)) == (None, ["INV-7 is paid."])
    forced, answer = (request["body"] for request in emulator.requests)
    assert forced["tools"] == answer["tools"] == [LOOKUP_TOOL]  # resent on every call
    assert (forced["tool_choice"], "tool_choice" in answer) == ("required", False)
    assert answer["messages"][2:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_invoice", "arguments": '{"number": "INV-7"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps(result["json"])},
    ]


def test_several_tool_calls_in_one_message(provider, emulator):
    calls = [
        *tool_call_deltas(0, "call_a", "lookup_invoice", {"number": "A-100"}, pieces=5),
        *tool_call_deltas(1, "call_b", "lookup_invoice", {}, pieces=1),
    ]
    emulator.enqueue(stream(role(), calls, finish("tool_calls"), usage(), done()))
    received, error = run(provider, ask([LOOKUP]))
    assert error is None
    assert [event for event in received if isinstance(event, ToolUse)] == [
        ToolUse("call_a", "lookup_invoice", {"number": "A-100"}),
        ToolUse("call_b", "lookup_invoice", {}),
    ]


def whole_call(call_id: str, arguments: str) -> dict:
    """A tool call sent in one piece and without an index, as Ollama sends one."""
    return {"id": call_id, "type": "function"} | {
        "function": {"name": "lookup_invoice", "arguments": arguments}
    }


def test_whole_calls_without_an_index_finished_with_stop_are_tool_uses(provider, emulator):
    """Ollama, and some vLLM tool parsers, send finish_reason "stop" after tool calls."""
    calls = [whole_call("call_x", '{"number": "X"}'), whole_call("call_y", '{"num')]
    rest = {"id": "call_y", "function": {"arguments": 'ber": "Y"}'}}  # the id sent again
    emulator.enqueue(
        stream(role(), Delta({"tool_calls": calls}), Delta({"tool_calls": [rest]}), finish())
    )
    received, error = run(provider, ask([LOOKUP]))
    assert error is None
    assert received[:3] == [
        ToolUse("call_x", "lookup_invoice", {"number": "X"}),
        ToolUse("call_y", "lookup_invoice", {"number": "Y"}),
        Stop("tool_use"),
    ]


def test_a_tool_call_without_an_id_gets_one_and_without_a_name_is_a_model_error(provider, emulator):
    nameless = {"index": 0, "function": {"arguments": "{}"}}
    emulator.enqueue(
        stream(role(), Delta({"tool_calls": [whole_call(None, "{}")]}), finish(), done()),
        stream(role(), Delta({"tool_calls": [nameless]}), finish(), done()),
    )
    received, error = run(provider, ask([LOOKUP]))
    assert error is None and received[0].id.startswith("call_") and len(received[0].id) > 8
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code) == ([], "MODEL_ERROR")


@pytest.mark.parametrize("arguments", ['{"number": ', "[1, 2]"])
def test_tool_arguments_that_are_not_a_json_object_are_a_model_error(provider, emulator, arguments):
    start = {"index": 0, "id": "call_1", "type": "function"}
    start["function"] = {"name": "lookup_invoice", "arguments": arguments}
    emulator.enqueue(stream(role(), Delta({"tool_calls": [start]}), finish("tool_calls"), done()))
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code, len(emulator.requests)) == ([], "MODEL_ERROR", 1)


@pytest.mark.parametrize(
    "finish_reason, reason",
    [("length", "max_tokens"), ("content_filter", "end_turn"), ("stop", "end_turn")],
)
def test_finish_reason(provider, emulator, finish_reason, reason):
    emulator.enqueue(text_reply("x", finish_reason=finish_reason))
    received, _ = run(provider)
    assert Stop(reason) in received


@pytest.mark.parametrize(
    "end",
    [done(), raw(chunk_of(choices=[], usage={"prompt_tokens": "ten", "completion_tokens": 5}))],
    ids=["no-usage", "counts-not-numbers"],
)
def test_without_reported_usage_it_is_estimated(provider, emulator, end):
    emulator.enqueue(stream(role(), text("Twelve chars"), finish(), end))
    received, error = run(provider)
    assert error is None
    sent = emulator.requests[0]["body"]
    assert received[-1] == Usage(len(json.dumps(sent["messages"]) + "[]") // 4 + 1, 12 // 4 + 1)


def test_a_running_total_of_usage_counts_once(provider, emulator):
    emulator.enqueue(stream(role(), text("a"), usage(5, 1), text("b"), finish(), usage(5, 2)))
    received, error = run(provider)
    assert (error, [e for e in received if isinstance(e, Usage)]) == (None, [Usage(5, 2)])


def test_a_finished_stream_may_end_without_done(provider, emulator):
    emulator.enqueue(stream(role(), text("Done."), finish(), usage(3, 2)))
    received, error = run(provider)
    assert (error, received[-2:]) == (None, [Stop("end_turn"), Usage(3, 2)])


def test_a_finish_reason_sent_on_two_chunks_stops_once(provider, emulator):
    call = tool_call_deltas(0, "call_1", "lookup_invoice", {"number": "INV-7"})
    emulator.enqueue(
        stream(role(), text("Done."), finish(), finish(), usage(3, 2), done()),
        stream(role(), call, finish("tool_calls"), finish("stop"), usage(3, 2), done()),
    )
    received, error = run(provider)
    assert (error, received) == (None, [TextDelta("Done."), Stop("end_turn"), Usage(3, 2)])
    received, error = run(provider, ask([LOOKUP]))
    assert (error, received) == (
        None,
        [ToolUse("call_1", "lookup_invoice", {"number": "INV-7"}), Stop("tool_use"), Usage(3, 2)],
    )


#: Chunks of a shape no server should send, by what is wrong with them.
MALFORMED = {
    "choices-object": chunk_of(choices={"index": 0, "delta": {"content": "x"}}),
    "choices-text": chunk_of(choices="x"),
    "choice-number": chunk_of(choices=[1]),
    "delta-text": choice_of(delta="x"),
    "delta-list": choice_of(delta=["x"]),
    "tool-calls-object": choice_of(delta={"tool_calls": {"index": 0}}),
    "tool-call-text": choice_of(delta={"tool_calls": ["call"]}),
    "index-text": call_of(index="0", id="c", function={"name": "f"}),
    "id-number": call_of(index=0, id=7, function={"name": "f"}),
    "function-text": call_of(index=0, id="c", function="f"),
    "name-number": call_of(index=0, id="c", function={"name": 1}),
    "finish-reason-list": choice_of(delta={}, finish_reason=["stop"]),
    "json-number": "data: 42\n\n",
    "not-json": "data: {not json\n\n",
}


@pytest.mark.parametrize("event", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_chunk_is_a_model_error(provider, emulator, event):
    emulator.enqueue(stream(role(), raw(event), finish(), done()))
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code, error.retryable) == ([], "MODEL_ERROR", False)
    assert len(emulator.requests) == 1


def test_a_malformed_chunk_after_text_ends_the_answer_with_a_model_error(provider, emulator):
    emulator.enqueue(stream(role(), text("partial"), raw(choice_of(delta="x")), finish()))
    received, error = run(provider)
    assert (texts(received), error.code) == (["partial"], "MODEL_ERROR")


def test_empty_and_null_parts_of_a_chunk_are_not_malformed(provider, emulator):
    empty = [chunk_of(choices=[], usage=None), chunk_of(choices=None), choice_of(delta=None)]
    empty.append(choice_of(delta={"content": None, "tool_calls": None}, finish_reason=None))
    emulator.enqueue(stream(role(), [raw(e) for e in empty], text("Fine."), finish(), usage(4, 1)))
    received, error = run(provider)
    assert (error, received) == (None, [TextDelta("Fine."), Stop("end_turn"), Usage(4, 1)])
