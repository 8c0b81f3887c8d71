// The Vercel AI SDK's own chat transport (`DefaultChatTransport`, what `useChat` sends
// with) against POST /api/chat/ui, under Node. Each chunk is parsed and checked by the SDK
// (its UI message chunk schema), and `readUIMessageStream` assembles the UIMessage that
// useChat would render. A second chat starts an answer, then reconnects to it
// (`reconnectToStream`, the GET useChat's `resume: true` makes), and reconnects again once
// it is over (no stream: null). The first chat's answer is then regenerated, as useChat's
// `regenerate()` asks (trigger regenerate-message, the answer's id). A bad body must reject
// with the server's error.
//
// Input (JSON on stdin): {origin, token, chatId, resumeChatId, question}.
// Output (one JSON line): {message, resumed, afterEnd, regenerated, rejected}.
import { readFileSync } from 'node:fs';
import { DefaultChatTransport, readUIMessageStream } from 'ai';

const config = JSON.parse(readFileSync(0, 'utf8'));
const transport = new DefaultChatTransport({
  api: `${config.origin}/api/chat/ui`,
  headers: () => ({ Authorization: `Bearer ${config.token}` }),
});

function userMessage(id, text) {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

// The last snapshot of the assistant message, as useChat keeps it.
async function lastMessage(stream) {
  let message = null;
  for await (const snapshot of readUIMessageStream({
    stream,
    onError: (error) => { throw error; },
  })) {
    message = snapshot;
  }
  return message;
}

function send(chatId, text) {
  return transport.sendMessages({
    chatId,
    messages: [userMessage(`u-${chatId}`, text)],
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: undefined,
  });
}

const message = await lastMessage(await send(config.chatId, config.question));

// Start an answer and read none of it; reconnect to the chat as a reloaded page would.
const running = await send(config.resumeChatId, config.question);
const resumedStream = await transport.reconnectToStream({ chatId: config.resumeChatId });
const resumed = resumedStream ? await lastMessage(resumedStream) : null;
await lastMessage(running);
const afterEnd = await transport.reconnectToStream({ chatId: config.resumeChatId });

// What useChat's regenerate() sends: the messages before the answer, and the answer's id.
const regenerated = await lastMessage(await transport.sendMessages({
  chatId: config.chatId,
  messages: [userMessage(`u-${config.chatId}`, config.question)],
  trigger: 'regenerate-message',
  messageId: message.id,
  abortSignal: undefined,
}));

let rejected = null;
try {
  await send('not a chat id', config.question);
} catch (error) {
  rejected = String(error.message);
}

console.log(JSON.stringify({ message, resumed, afterEnd, regenerated, rejected }));
