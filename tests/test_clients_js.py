"""The AI SDK, the demo page and a generated TypeScript client, for real, against gunicorn as
deployed: the `ai` package's chat transport under Node (tests/clients/ai_chat.mjs), the
demo page in Debian's headless Chromium (tests/clients/demo_page.mjs), and
`openapi-typescript` + `tsc --strict` on the served /openapi.json
(tests/clients/use_openapi.ts). Missing clients fail the tests; `make test` installs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

from canvalo_app.auth import DEMO_USER
from tests.conftest import USER_A, Users
from tests.live_server import (  # noqa: F401  (live_server_fixture: `live_server`)
    CHROMIUM,
    CHROMIUM_ARGS,
    CLIENTS,
    json_of,
    live_server_fixture,
    require_clients,
    run_client,
)

QUESTION = "which invoices are overdue?"


def messages_of(port: int, conversation_id: str, user: str = USER_A) -> list[dict]:
    status, body = json_of(
        port, "GET", f"/api/conversations/{conversation_id}", headers=Users().headers(user)
    )
    assert status == 200, body
    return body["messages"]


def text_parts(message: dict) -> str:
    return "".join(part["text"] for part in message["parts"] if part["type"] == "text")


def test_the_ai_sdk_chat_transport_reads_the_ui_stream(live_server):
    require_clients("ai")
    chat, resumed_chat = f"chat-{uuid.uuid4().hex[:8]}", f"chat-{uuid.uuid4().hex[:8]}"
    seen = run_client(
        "ai_chat.mjs",
        {
            "origin": live_server.origin,
            "token": Users().token(USER_A),
            "chatId": chat,
            "resumeChatId": resumed_chat,
            "question": QUESTION,
        },
    )
    message = seen["message"]
    conversation_id = message["metadata"]["conversation_id"]
    # regenerate(): a new answer on a new branch, the first kept as its sibling.
    regenerated = seen["regenerated"]
    again = messages_of(live_server.port, conversation_id)
    assert [m["id"] for m in again[1:]] == [regenerated["id"]]
    assert again[1]["sibling_ids"] == [message["id"], regenerated["id"]]
    assert text_parts(regenerated) == again[1]["content"] and again[1]["status"] == "complete"
    # The first answer, on the branch it is still on.
    status, _ = json_of(
        live_server.port, "POST", f"/api/conversations/{conversation_id}/branch",
        {"message_id": message["id"]}, Users().headers(USER_A),
    )  # fmt: skip
    assert status == 200
    stored = messages_of(live_server.port, conversation_id)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["id"] == message["id"] and stored[1]["status"] == "complete"
    assert text_parts(message) == stored[1]["content"] and "INV-1002" in stored[1]["content"]
    kinds = [part["type"] for part in message["parts"]]
    assert kinds[0] == "data-agent" and message["parts"][0]["data"]["agent_type"] == "invoices"
    tool = next(part for part in message["parts"] if part["type"] == "dynamic-tool")
    assert tool["state"] == "output-available" and tool["output"]["summary"]
    assert message["metadata"]["finish_reason"] == "end_turn"
    # The reconnect replayed the running answer whole, then found nothing running.
    resumed = seen["resumed"]
    assert resumed is not None, "reconnectToStream found no running answer"
    replayed = messages_of(live_server.port, resumed["metadata"]["conversation_id"])
    assert text_parts(resumed) == replayed[1]["content"]
    assert seen["afterEnd"] is None
    assert "VALIDATION_ERROR" in seen["rejected"]


def test_a_generated_typescript_client_compiles_strictly(live_server, tmp_path):
    require_clients("openapi-typescript", "typescript")
    status, document = json_of(live_server.port, "GET", "/openapi.json", headers={})
    assert status == 200
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    shutil.copy(CLIENTS / "use_openapi.ts", tmp_path / "use_openapi.ts")
    node_modules = CLIENTS / "node_modules"
    generate = [
        "node",
        str(node_modules / "openapi-typescript" / "bin" / "cli.js"),
        str(tmp_path / "openapi.json"),
        "-o",
        str(tmp_path / "api.d.ts"),
    ]
    done = subprocess.run(generate, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    compile_ = [
        "node",
        str(node_modules / "typescript" / "bin" / "tsc"),
        "--strict",
        "--noEmit",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        str(tmp_path / "use_openapi.ts"),
    ]
    compiled = subprocess.run(compile_, capture_output=True, text=True, timeout=180)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    generated = (tmp_path / "api.d.ts").read_text()
    assert '"text/event-stream": components["schemas"]["StreamEvent"]' in generated


def test_the_demo_page_streams_stops_resumes_and_confirms(live_server, tmp_path):
    require_clients("playwright-core", chromium=True)
    seen = run_client(
        "demo_page.mjs",
        {
            "origin": live_server.origin,
            "question": QUESTION,
            "deletion": "delete invoice INV-1005",
            "executablePath": CHROMIUM,
            "args": CHROMIUM_ARGS,
            "screenshot": str(tmp_path / "demo.png"),
        },
        timeout=120,
    )
    assert (tmp_path / "demo.png").stat().st_size > 0
    # Reloaded in the middle of the answer, the page showed it again, whole and once.
    assert seen["beforeReload"] and seen["resumed"].startswith(seen["beforeReload"])
    assert seen["resumedStatus"] == "Done (end_turn)."
    assert "INV-1002" in seen["resumed"]
    assert seen["routing"][0].startswith("→ invoices agent")
    status, page = json_of(
        live_server.port, "GET", "/api/conversations?limit=3", headers=Users().headers(DEMO_USER)
    )
    assert status == 200 and page["total"] == 2
    newest_last = page["conversations"][::-1]
    answered, stopped = (messages_of(live_server.port, c["id"], DEMO_USER) for c in newest_last)
    assert answered[1]["content"] == seen["resumed"] and answered[1]["status"] == "complete"
    assert seen["stoppedStatus"] == "Done (stopped)."
    assert stopped[1]["status"] == "interrupted" and stopped[1]["content"] == seen["stopped"]
    assert seen["confirmation"].endswith(": cancelled")
    assert stopped[-1]["role"] == "assistant" and len(stopped) == 4
