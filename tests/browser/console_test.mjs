// End-to-end test of the operator console in headless Chromium.
//
//   node console_test.mjs --url http://127.0.0.1:PORT --user NAME --password PW \
//     --ready-file PATH --screenshot PATH [--timeout-ms 90000]
//
// Logs in, waits for the map, the incident queue and the live feed, then
// writes the ready file (empty) so that the harness injects a fault: a
// cabinet losing power, which the suite turns into one incident on the
// cabinet (and two crews with the skill street_lighting). Without reloading
// the page it then waits for that incident in the queue and on the map,
// acknowledges it, assigns a crew to its work order from the dispatch panel,
// declares a snow crisis over districts 3 and 5 from the crisis panel (banner,
// highlighted districts, actions and timeline), saves a full-page screenshot,
// and ends the crisis (the banner and the highlight go). One line per step; exit 0 when every step
// passed, 1 otherwise (with a screenshot at <screenshot>.failed.png).
// Chromium: /usr/bin/chromium, or the path in CITYOPS_CHROMIUM.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const kUsage =
  'usage: node console_test.mjs --url URL --user NAME --password PW --ready-file PATH --screenshot PATH [--timeout-ms 90000]';

function Options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'ready-file': { type: 'string' },
        screenshot: { type: 'string' },
        'timeout-ms': { type: 'string', default: '90000' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${error.message}\n${kUsage}`);
    process.exit(2);
  }
  for (const name of ['url', 'user', 'password', 'ready-file', 'screenshot']) {
    if (!values[name]) {
      console.error(`missing --${name}\n${kUsage}`);
      process.exit(2);
    }
  }
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error(`--timeout-ms must be a positive number of milliseconds\n${kUsage}`);
    process.exit(2);
  }
  return {
    url: values.url.replace(/\/+$/, ''),
    user: values.user,
    password: values.password,
    readyFile: values['ready-file'],
    screenshot: values.screenshot,
    timeoutMs,
  };
}

const options = Options();
const started = Date.now();
const deadline = started + options.timeoutMs;
const remaining = () => Math.max(1, deadline - Date.now());
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const byTestId = (id) => `[data-testid="${id}"]`;

let currentStep = 'start';
function Step(name) {
  currentStep = name;
}
function Passed(detail = '') {
  console.log(`[${elapsed()}] ok   ${currentStep}${detail ? `: ${detail}` : ''}`);
}

const browserLog = [];
let browser;
let page;

async function Run() {
  Step('launch Chromium');
  browser = await chromium.launch({
    executablePath: process.env.CITYOPS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') browserLog.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => browserLog.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The live feed's request ends when the page closes: not a failure.
    if (!r.url().includes('/api/v1/events')) browserLog.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) browserLog.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url().replace(/access_token=[^&]+/, 'access_token=…')}`);
  });
  Passed();

  Step('open the console');
  await page.goto(`${options.url}/`, { waitUntil: 'domcontentloaded', timeout: remaining() });
  await page.locator(byTestId('login-username')).waitFor({ state: 'visible', timeout: remaining() });
  Passed(options.url);

  Step('log in');
  await page.locator(byTestId('login-username')).fill(options.user);
  await page.locator(byTestId('login-password')).fill(options.password);
  await page.locator(byTestId('login-submit')).click();
  const outcome = await page
    .waitForFunction(
      () => {
        const app = document.getElementById('app');
        if (app && !app.hidden) return 'ok';
        const error = document.querySelector('[data-testid="login-error"]')?.textContent ?? '';
        return error || false;
      },
      null,
      { timeout: remaining(), polling: 100 },
    )
    .then((handle) => handle.jsonValue());
  if (outcome !== 'ok') throw new Error(`the console refused the login: ${outcome}`);
  // From here on the page must never load again: a marker in the window, and
  // a count of the main frame's navigations.
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await page.evaluate((m) => {
    window.__cityopsTestMarker = m;
  }, marker);
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  Passed(options.user);

  Step('map, queue and live feed ready');
  await page.locator(`${byTestId('map')}[data-ready="true"]`).waitFor({ timeout: remaining() });
  await page.locator(`${byTestId('incident-list')}[data-ready="true"]`).waitFor({ timeout: remaining() });
  await page.locator(`${byTestId('live-status')}[data-state="open"]`).waitFor({ timeout: remaining() });
  const districts = await page.locator(`${byTestId('queue-filter-district')} option`).count();
  const before = new Set(await page.locator(byTestId('incident-row')).evaluateAll((rows) => rows.map((r) => r.dataset.incidentId)));
  Passed(`${districts - 1} districts, ${before.size} open incidents before the fault`);

  Step('write the ready file');
  writeFileSync(options.readyFile, '');
  Passed(options.readyFile);

  Step('the cabinet incident appears in the queue');
  // The suite opens one incident on the cabinet (asset kind ..._CABINET);
  // incidents of other kinds that come meanwhile are not the one.
  const incidentId = await page
    .waitForFunction(
      (known) => {
        const rows = [...document.querySelectorAll('[data-testid="incident-row"]')];
        const cabinet = rows.find((r) => !known.includes(r.dataset.incidentId) && /CABINET/.test(r.dataset.assetKind ?? ''));
        return cabinet ? cabinet.dataset.incidentId : false;
      },
      [...before],
      { timeout: remaining(), polling: 250 },
    )
    .then((handle) => handle.jsonValue())
    .catch(async (error) => {
      const others = await page
        .locator(byTestId('incident-row'))
        .evaluateAll((rows, known) => rows.filter((r) => !known.includes(r.dataset.incidentId)).map((r) => `${r.dataset.incidentId} (${r.dataset.assetKind || 'no asset'})`), [...before])
        .catch(() => []);
      throw new Error(`${String(error.message).split('\n')[0]}; new incidents meanwhile: ${others.join(', ') || 'none'}`);
    });
  const row = page.locator(`${byTestId('incident-row')}[data-incident-id="${incidentId}"]`);
  Passed(`${incidentId} (${await row.getAttribute('data-priority')}, ${await row.getAttribute('data-asset-kind')})`);

  Step('the incident is drawn on the map');
  await page.locator(`${byTestId('map-incident-ids')} li[data-incident-id="${incidentId}"]`).waitFor({ state: 'attached', timeout: remaining() });
  Passed(`${await page.locator(`${byTestId('map-incident-ids')} li`).count()} incidents on the map`);

  Step('select the incident');
  await row.click();
  await page.locator(byTestId('tab-incident')).click();
  await page.locator(`${byTestId('incident-id')}:text-is("${incidentId}")`).waitFor({ timeout: remaining() });
  const status = page.locator(byTestId('incident-status'));
  Passed(await status.getAttribute('data-status'));

  Step('acknowledge');
  const ack = page.locator(byTestId('acknowledge'));
  if ((await status.getAttribute('data-status')) === 'INCIDENT_STATUS_OPEN') {
    await ack.click({ timeout: remaining() });
  }
  await page.locator(`${byTestId('incident-status')}[data-status="INCIDENT_STATUS_ACKNOWLEDGED"]`).waitFor({ timeout: remaining() });
  await page.locator(`${byTestId('incident-row')}[data-incident-id="${incidentId}"][data-status="INCIDENT_STATUS_ACKNOWLEDGED"]`).waitFor({ timeout: remaining() });
  Passed('status ACKNOWLEDGED in the panel and the queue');

  Step('open dispatch and wait for the work order');
  await page.locator(byTestId('tab-dispatch')).click();
  // Dispatch creates the order when the incident opens; crews are registered
  // by the harness meanwhile: reload the panel now and then until both show.
  let crewId = null;
  let orderId = null;
  let lastReload = Date.now();
  while (Date.now() < deadline) {
    const order = page.locator(byTestId('work-order')).first();
    if (await order.count()) {
      orderId = await order.getAttribute('data-work-order-id');
      crewId = await order.locator(`${byTestId('crew-picker')} option`).evaluateAll((opts) => {
        const real = opts.filter((o) => o.value);
        const free = real.find((o) => o.dataset.available === 'true' && o.dataset.current !== 'true');
        const other = real.find((o) => o.dataset.current !== 'true');
        return (free ?? other)?.value ?? null;
      });
      if (crewId) break;
    }
    if (Date.now() - lastReload > 4000) {
      await page.locator(byTestId('reload-work-orders')).click();
      lastReload = Date.now();
    }
    await page.waitForTimeout(250);
  }
  if (!orderId) throw new Error('no work order for the incident in the dispatch panel');
  if (!crewId) throw new Error(`work order ${orderId}: no crew to choose in the picker`);
  const order = page.locator(`${byTestId('work-order')}[data-work-order-id="${orderId}"]`);
  Passed(
    `${orderId} ${await order.locator(byTestId('work-order-status')).getAttribute('data-status')}, crew now ${
      (await order.locator(byTestId('work-order-crew')).getAttribute('data-crew-id')) || 'none'
    }`,
  );

  Step('assign a crew');
  await order.locator(byTestId('crew-picker')).selectOption(crewId, { timeout: remaining() });
  await order.locator(byTestId('assign-crew')).click({ timeout: remaining() });
  await page
    .locator(`${byTestId('work-order')}[data-work-order-id="${orderId}"] ${byTestId('work-order-crew')}[data-crew-id="${crewId}"]`)
    .waitFor({ timeout: remaining() });
  const orderStatus = await page
    .locator(`${byTestId('work-order')}[data-work-order-id="${orderId}"] ${byTestId('work-order-status')}`)
    .getAttribute('data-status');
  Passed(`${orderId} -> ${crewId} (${orderStatus})`);

  Step('declare a crisis by hand from the crisis panel');
  await page.locator(byTestId('tab-crisis')).click();
  await page.locator(`${byTestId('crisis-playbook')} option[value="snow"]`).waitFor({ state: 'attached', timeout: remaining() });
  await page.locator(byTestId('crisis-playbook')).selectOption('snow');
  await page.locator(byTestId('crisis-new-districts')).fill('3, 5');
  await page.locator(byTestId('crisis-new-note')).fill('ice on the roads (browser test)');
  const declare = page.locator(byTestId('crisis-declare-playbook'));
  await declare.click();
  await page.locator(`${byTestId('crisis-declare-playbook')}[data-armed="true"]`).waitFor({ timeout: remaining() });
  await declare.click();
  const banner = page.locator(`${byTestId('crisis-banner')}[data-districts="3,5"]`);
  await banner.waitFor({ timeout: remaining() });
  const crisisId = await banner.getAttribute('data-crisis-id');
  Passed(`${crisisId} in the banner`);

  Step('the map and the crisis panel show it');
  for (const d of [3, 5]) {
    await page.locator(`${byTestId('map-crisis-districts')} li[data-district="${d}"][data-kind="active"]`).waitFor({ state: 'attached', timeout: remaining() });
  }
  await page.locator(`${byTestId('crisis-detail')}[data-crisis-id="${crisisId}"]`).waitFor({ timeout: remaining() });
  await page.locator(`${byTestId('crisis-status')}[data-status="CRISIS_STATUS_ACTIVE"]`).waitFor({ timeout: remaining() });
  await page.locator(`${byTestId('crisis-timeline-entry')}[data-kind="CRISIS_TIMELINE_KIND_DECLARED"]`).waitFor({ timeout: remaining() });
  const actions = await page.locator(byTestId('crisis-action')).count();
  if (actions === 0) throw new Error('the crisis panel lists no action');
  Passed(`districts 3 and 5 highlighted, ${actions} actions, declared in the timeline`);

  Step('no page load since login');
  const still = await page.evaluate(() => window.__cityopsTestMarker);
  if (still !== marker || navigations !== 0) {
    throw new Error(`the page was loaded again after login (marker ${still === marker ? 'kept' : 'lost'}, ${navigations} navigations)`);
  }
  Passed();

  Step('screenshot');
  await page.screenshot({ path: options.screenshot, fullPage: true, timeout: remaining() });
  Passed(options.screenshot);

  Step('end the crisis');
  await page.locator(byTestId('crisis-end-note')).fill('thaw (browser test)');
  const end = page.locator(byTestId('crisis-end'));
  await end.click();
  await page.locator(`${byTestId('crisis-end')}[data-armed="true"]`).waitFor({ timeout: remaining() });
  await end.click();
  await page.locator(`${byTestId('crisis-status')}[data-status="CRISIS_STATUS_ENDED"]`).waitFor({ timeout: remaining() });
  await page.locator(byTestId('crisis-banner')).waitFor({ state: 'detached', timeout: remaining() });
  await page.locator(`${byTestId('map-crisis-districts')} li`).first().waitFor({ state: 'detached', timeout: remaining() });
  Passed(`${crisisId} ENDED, banner and highlighted districts gone`);
}

let failed = false;
try {
  await Run();
  console.log(`[${elapsed()}] PASS`);
} catch (error) {
  failed = true;
  const message = String(error?.message ?? error).split('\n')[0];
  console.log(`[${elapsed()}] FAIL ${currentStep}: ${message}`);
  if (page) {
    const shot = `${options.screenshot}.failed.png`;
    try {
      await page.screenshot({ path: shot, fullPage: true, timeout: 10000 });
      console.log(`screenshot of the failure: ${shot}`);
    } catch (e) {
      console.log(`no screenshot of the failure: ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
  for (const line of browserLog.slice(-20)) console.log(`  browser: ${line}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
