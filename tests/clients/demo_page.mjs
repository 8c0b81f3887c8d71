// The demo chat page (/demo) in Debian's headless Chromium, driven by playwright-core, as a
// person uses it: mint a dev token, send, watch the tokens arrive, reload in the middle of
// the answer and see it resume to its end; send again and stop; ask for a delete and
// cancel it with the page's button.
//
// Input (JSON on stdin): {origin, question, deletion, executablePath, args, screenshot}.
// Output (one JSON line): {beforeReload, resumed, resumedStatus, stopped, stoppedStatus,
//   confirmation, routing, tools}.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(0, 'utf8'));
const browser = await chromium.launch({
  executablePath: config.executablePath,
  args: config.args,
  headless: true,
});

const assistantText = (page) =>
  page.$$eval('.msg.assistant', (nodes) => nodes.map((n) => n.textContent).join(''));
const status = (page) => page.textContent('#status');

async function send(page, text) {
  await page.fill('#message', text);
  await page.click('#send');
}

// Wait until the last assistant bubble shows some text (the answer is streaming).
async function someTokens(page) {
  await page.waitForFunction(() => {
    const bubbles = [...document.querySelectorAll('.msg.assistant')];
    return bubbles.length && bubbles[bubbles.length - 1].textContent.length > 12;
  });
}

let result;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${config.origin}/demo`);
  await page.click('#mint');
  await page.waitForFunction(() => document.querySelector('#token').value.length > 20);

  await send(page, config.question);
  await someTokens(page);
  const beforeReload = await assistantText(page);
  await page.reload();
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#status').textContent));
  const resumed = await assistantText(page);
  const resumedStatus = await status(page);
  const routing = await page.$$eval('.event', (nodes) => nodes.map((n) => n.textContent));

  await page.click('#new-chat');
  await send(page, config.question);
  await someTokens(page);
  await page.click('#stop');
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#status').textContent));
  const stopped = await assistantText(page);
  const stoppedStatus = await status(page);

  await send(page, config.deletion);
  await page.waitForSelector('.confirmation button.cancel');
  await page.click('.confirmation button.cancel');
  await page.waitForFunction(() =>
    /cancelled$/.test(document.querySelector('.confirmation').textContent));
  const confirmation = await page.textContent('.confirmation');
  if (config.screenshot) await page.screenshot({ path: config.screenshot, fullPage: true });
  result = {
    beforeReload, resumed, resumedStatus, stopped, stoppedStatus, confirmation, routing,
  };
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
