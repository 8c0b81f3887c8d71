"""The engine's ticker: the text of every streaming row saved in one batch, on both stores."""

from __future__ import annotations

import threading

from canvalo_app.store.base import StreamingText
from tests.conftest import BOTH_STORES, USER_B, user_store
from tests.helpers import assistant_row, started, wait_for
from tests.scripted_model import Wait, install, route, say


@BOTH_STORES
def test_a_batch_saves_only_the_owners_rows_that_are_still_streaming(app, users):
    mine, theirs = user_store(app, users), user_store(app, users, USER_B)
    conversations = [s.create_conversation("t")["id"] for s in (mine, theirs)]
    my_row = mine.add_message(conversations[0], "assistant", "", status="streaming")
    their_row = theirs.add_message(conversations[1], "assistant", "", status="streaming")
    finished = mine.add_message(conversations[0], "assistant", "final", status="complete")
    batch = [
        StreamingText(mine, my_row["id"], "mine so far"),
        StreamingText(theirs, their_row["id"], "theirs so far"),
        StreamingText(mine, finished["id"], "a late flush"),
        StreamingText(theirs, my_row["id"], "written with another user's store"),
    ]
    app.extensions["store"].save_streaming_text(batch)
    assert mine.get_message(my_row["id"])["content"] == "mine so far"
    assert theirs.get_message(their_row["id"])["content"] == "theirs so far"
    assert mine.get_message(finished["id"])["content"] == "final"
    assert mine.get_message(my_row["id"])["status"] == "streaming"


@BOTH_STORES
def test_every_open_stream_is_saved_while_it_streams(make_app, users):
    app = make_app(CONTENT_FLUSH_SECONDS=0.05)
    release = threading.Event()
    answer = [*say("said so far")[:-2], Wait(release, 10)]
    install(app, route("tasks"), answer, route("tasks"), answer)
    client = app.test_client()
    readers, starts = [], []
    for headers in (users.a, users.b):
        response = client.post(
            "/api/chat/stream", json={"message": "go"}, headers=headers, buffered=False
        )
        readers.append(response)
        starts.append(started(iter(response.response)))
    try:
        for headers, start in zip((users.a, users.b), starts, strict=True):
            assert wait_for(
                lambda h=headers, s=start: (
                    assistant_row(client, h, s["conversation_id"])["content"] == "said so far"
                )
            )
            assert assistant_row(client, headers, start["conversation_id"])["status"] == "streaming"
    finally:
        release.set()
        for response in readers:
            response.close()
