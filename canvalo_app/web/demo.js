// The demo chat: plain JavaScript, no build step. It uses the API as any front end would:
// fetch for the POST stream (it needs the Authorization header), EventSource on the
// `resume_url` of the `start` event to pick a running answer up again after a reload.
"use strict";

const $ = (id) => document.getElementById(id);
const saved = {
  get: (key) => JSON.parse(localStorage.getItem("canvalo." + key) || "null"),
  set: (key, value) =>
    value == null
      ? localStorage.removeItem("canvalo." + key)
      : localStorage.setItem("canvalo." + key, JSON.stringify(value)),
};
let live = null; // {generation_id, resume_url, conversation_id} of the answer being written
let bubble = null; // the assistant text being written, made at its first token

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function add(className, text) {
  const node = document.createElement("div");
  node.className = className;
  node.textContent = text;
  $("transcript").append(node);
  node.scrollIntoView({ block: "end" });
  return node;
}

function status(text) {
  $("status").textContent = text;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: "Bearer " + $("token").value.trim(),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const error = (await response.json().catch(() => ({}))).error || {};
    throw new Error(error.user_message || `HTTP ${response.status}`);
  }
  return response;
}

// One event of a generation, from either transport.
function onEvent(type, data) {
  switch (type) {
    case "start":
      live = { generation_id: data.generation_id, resume_url: data.resume_url,
               conversation_id: data.conversation_id };
      saved.set("live", live);
      saved.set("conversation", data.conversation_id);
      bubble = null;
      $("stop").disabled = false;
      status("Answering…");
      break;
    case "agent":
      add("event", `→ ${data.agent_type} agent${data.reason ? ": " + data.reason : ""}`);
      bubble = null;
      break;
    case "token":
      bubble = bubble || add("msg assistant", "");
      bubble.textContent += data.content;
      break;
    case "tool_call":
      add("event", `⚙ ${data.tool_name} ${JSON.stringify(data.input)}`);
      break;
    case "tool_result":
      add("event" + (data.status === "error" ? " error" : ""), `✓ ${data.summary}`);
      bubble = null;
      break;
    case "confirmation_required":
      confirmation(data);
      break;
    case "title":  // the model titled the conversation (its first turn)
      add("event", `✎ Titled “${data.title}”`);
      break;
    case "complete":
    case "error":
      finish(type === "error" ? `Error: ${data.error}` : `Done (${data.finish_reason}).`);
  }
}

function finish(text) {
  live = null;
  saved.set("live", null);
  $("stop").disabled = true;
  status(text);
}

function confirmation(data) {
  const box = add("confirmation", `Confirm: ${data.summary} `);
  for (const [label, verb] of [["Confirm", "confirm"], ["Cancel", "cancel"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.className = verb;
    button.onclick = async () => {
      try {
        const action = await (await api("POST", `/api/actions/${data.action_id}/${verb}`)).json();
        box.textContent = `${data.summary}: ${action.status}`;
      } catch (error) {
        box.append(` (${error.message})`);
      }
    };
    box.append(button);
  }
}

// POST /api/chat/stream, read as Server-Sent Events.
async function send(text) {
  const body = { message: text, client_message_id: uuid() };
  if (saved.get("conversation")) body.conversation_id = saved.get("conversation");
  add("msg user", text);
  const response = await api("POST", "/api/chat/stream", body);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((line) => line.startsWith("data:"));
      if (data.length) {
        const event = JSON.parse(data.map((line) => line.slice(5).trim()).join("\n"));
        onEvent(event.type, event);
      }
    }
  }
}

// After a reload: the conversation so far, then the running answer again from its start.
async function restore() {
  const conversation = saved.get("conversation");
  live = saved.get("live");
  if (!conversation || !$("token").value) return;
  try {
    const detail = await (await api("GET", `/api/conversations/${conversation}`)).json();
    for (const message of detail.messages) {
      if (live && message.status === "streaming") continue; // replayed below
      add("msg " + message.role, message.content);
    }
  } catch (error) {
    status(error.message);
    return;
  }
  if (live && live.resume_url) resume(live.resume_url);
}

function resume(url) {
  status("Resuming…");
  const source = new EventSource(url);
  const types = ["start", "agent", "token", "tool_call", "tool_result",
                 "confirmation_required", "title", "complete", "error"];
  for (const type of types) {
    source.addEventListener(type, (event) => {
      onEvent(type, JSON.parse(event.data));
      if (type === "complete" || type === "error") source.close();
    });
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) finish("This answer can no longer be resumed.");
  };
}

$("token").value = saved.get("token") || "";
$("token").onchange = () => saved.set("token", $("token").value.trim());
$("mint").onclick = async () => {
  const response = await fetch("/demo/token", { method: "POST" });
  $("token").value = (await response.json()).token;
  saved.set("token", $("token").value);
  status("Signed in as the demo user.");
};
$("new-chat").onclick = () => {
  saved.set("conversation", null);
  $("transcript").textContent = "";
  status("New conversation.");
};
$("composer").onsubmit = async (event) => {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text || live) return;
  $("message").value = "";
  try {
    await send(text);
  } catch (error) {
    finish(error.message);
  }
};
$("stop").onclick = async () => {
  if (live) await api("POST", `/api/chat/generations/${live.generation_id}/stop`).catch(() => {});
};
restore();
