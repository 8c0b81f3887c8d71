// One chat send with @microsoft/fetch-event-source, written as its README shows it used:
// a POST with a JSON body, a naive `JSON.parse(ev.data)` in onmessage, and the README's
// error handling (a 4xx other than 429 is fatal and rethrown from onerror; anything else,
// a dropped connection included, is retried by the library itself, which sends the same
// body again with the Last-Event-ID it saw).
//
// Input (JSON on stdin): {url, token, body, timeoutMs}.
// Output (one JSON line): {outcome, connections: [[{id, event, data}, ...], ...], errors}.
import { readFileSync } from 'node:fs';
import { EventStreamContentType, fetchEventSource } from '@microsoft/fetch-event-source';

// The library is written for browsers: it calls window.fetch and window.setTimeout, and when
// it finishes it calls document.removeEventListener even with `openWhenHidden: true` (which
// keeps it from watching the page's visibility). Node has fetch and timers but neither
// global, so these two stand in for the browser's.
globalThis.window = globalThis;
globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} };

class RetriableError extends Error {
  name = 'RetriableError';
}
class FatalError extends Error {
  name = 'FatalError';
}

const config = JSON.parse(readFileSync(0, 'utf8'));
const connections = []; // the events of each connection, in the order they arrived
const errors = []; // every error the library handed to onerror
let finished = false;
const ctrl = new AbortController();
const timer = setTimeout(() => ctrl.abort(), config.timeoutMs);

async function send() {
  await fetchEventSource(config.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${config.token}`,
    },
    body: JSON.stringify(config.body),
    signal: ctrl.signal,
    openWhenHidden: true,
    async onopen(response) {
      // The README compares the content type with `===`; the server sends
      // `text/event-stream; charset=utf-8`, so this checks its start, as the library's own
      // default onopen does.
      const type = response.headers.get('content-type') ?? '';
      if (response.ok && type.startsWith(EventStreamContentType)) {
        connections.push([]);
        return;
      } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new FatalError(`${response.status} ${await response.text()}`);
      } else {
        throw new RetriableError(`${response.status}`);
      }
    },
    onmessage(ev) {
      const data = JSON.parse(ev.data);
      connections.at(-1).push({ id: ev.id, event: ev.event, data });
      if (data.type === 'complete' || data.type === 'error') finished = true;
    },
    onclose() {
      // The server closed the connection before the answer ended: retry.
      if (!finished) throw new RetriableError('closed before the terminal event');
    },
    onerror(err) {
      errors.push({ name: err.name, message: String(err.message), fatal: err instanceof FatalError });
      if (err instanceof FatalError) throw err; // rethrow to stop the operation
      // anything else: return nothing, and the library retries after its interval
    },
  });
}

let outcome;
try {
  await send();
  outcome = { settled: ctrl.signal.aborted ? 'timed out' : 'resolved' };
} catch (err) {
  outcome = { settled: 'rejected', name: err.name, message: String(err.message) };
}
clearTimeout(timer);
process.stdout.write(`${JSON.stringify({ outcome, connections, errors })}\n`, () => process.exit(0));
