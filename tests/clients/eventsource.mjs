// The browser's own EventSource, in Debian's headless Chromium driven by playwright-core
// (no browser is downloaded: `executablePath` is the system's). A page on the server's own
// origin (no CORS involved) opens each URL with `new EventSource(url)`, as a front end does
// with the `start` event's `resume_url`, and collects the events by their `event:` names.
//
// Input (JSON on stdin): {origin, page, urls, types, executablePath, args, timeoutMs}.
// Output (one JSON line): {results: [{why, events, errors, readyState}, ...]}, one per url.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(0, 'utf8'));

// Runs in the page: opens `url`, records every event until a terminal one, or until the
// browser gives the connection up (an `error` with readyState CLOSED), or `timeoutMs`.
function collect({ url, types, timeoutMs }) {
  return new Promise((resolve) => {
    const source = new EventSource(url);
    const events = [];
    const errors = [];
    const finish = (why) => {
      clearTimeout(timer);
      const readyState = source.readyState;
      source.close();
      resolve({ why, events, errors, readyState });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    for (const type of types) {
      source.addEventListener(type, (ev) => {
        if (!(ev instanceof MessageEvent)) return; // the connection's own `error`
        events.push({ type, id: ev.lastEventId, data: JSON.parse(ev.data) });
        if (type === 'complete' || type === 'error') finish('terminal');
      });
    }
    source.onmessage = (ev) => events.push({ type: 'message', id: ev.lastEventId, data: ev.data });
    source.onerror = (ev) => {
      if (ev instanceof MessageEvent) return; // an `event: error`, recorded above
      errors.push({ readyState: source.readyState });
      if (source.readyState === EventSource.CLOSED) finish('closed');
    };
  });
}

const browser = await chromium.launch({
  executablePath: config.executablePath,
  args: config.args,
  headless: true,
});
let results;
try {
  const page = await browser.newPage();
  const response = await page.goto(`${config.origin}${config.page}`);
  if (!response.ok()) throw new Error(`${config.page} answered ${response.status()}`);
  results = [];
  for (const url of config.urls) {
    results.push(await page.evaluate(collect, { url, types: config.types, timeoutMs: config.timeoutMs }));
  }
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify({ results })}\n`, () => process.exit(0));
