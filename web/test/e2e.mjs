// End-to-end test of the classroom page (web/dist/index.html) in headless
// Chromium: it runs and draws its charts, reacts to a slider, its downloads
// reproduce with the CLI byte for byte, and it makes no request outside the
// loopback host.
//
//   node web/test/e2e.mjs            (from the repo root; needs the built page,
//                                     target/release/trialsim, chromium and
//                                     `npm ci` in web/test)
// Env: CHROMIUM (default /usr/bin/chromium), CI=true (a missing prerequisite
// fails instead of skipping), TRIALSIM_E2E_OUT (screenshot folder, default
// outputs/classroom), TRIALSIM_E2E_FILE=1 (load the page from file:// instead
// of the local server).

import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync, createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const dist = join(root, 'web', 'dist');
const cli = join(root, 'target', 'release', 'trialsim');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const useFile = process.env.TRIALSIM_E2E_FILE === '1';
const shotDir = resolve(root, process.env.TRIALSIM_E2E_OUT || join('outputs', 'classroom'));

function skip(why) {
  if (process.env.CI === 'true') {
    console.error(`e2e: ${why}`);
    process.exit(1);
  }
  console.log(`e2e: skipped (${why})`);
  process.exit(0);
}

if (!existsSync(chromiumPath)) skip(`no chromium at ${chromiumPath}; apt-get install chromium or set CHROMIUM`);
if (!existsSync(join(here, 'node_modules', 'playwright-core'))) skip('playwright-core is not installed: run npm ci in web/test');
if (!existsSync(join(dist, 'index.html'))) skip('web/dist/index.html is missing: build it with bash web/build.sh');
if (!existsSync(cli)) skip('target/release/trialsim is missing: cargo build --release');

const { chromium } = await import('playwright-core');

// Static files of web/dist only, on loopback.
function serve(folder) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
    '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = resolve(folder, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const ms = (t0) => Math.round(performance.now() - t0);
const tmp = mkdtempSync(join(tmpdir(), 'trialsim-e2e-'));
const server = useFile ? null : await serve(dist);
const port = server && server.address().port;
const pageUrl = useFile ? pathToFileURL(join(dist, 'index.html')).href : `http://127.0.0.1:${port}/index.html`;

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  const pageErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`page console: ${m.text()}`); });

  const power = () => page.$eval('#power', (el) => ({ ...el.dataset, text: el.textContent }));

  // 1. The first run starts on load: n = 15, 2 000 replicates.
  await page.goto(pageUrl);
  await page.waitForSelector('#power[data-state="done"]', { timeout: 60_000 })
    .catch(async (e) => { throw new Error(`${e.message}\nstatus line: ${await page.textContent('#status')}`); });
  const first = await power();
  assert.equal(first.n, '15', 'first run: data-n');
  assert.equal(first.replicates, '2000', 'first run: data-replicates');
  console.log(`first run: ${first.text} (n 15)`);

  // 1b. The page drew its three charts (the default scenario has visits).
  for (const id of ['fig-power_curve', 'fig-estimates', 'fig-visits']) {
    const shapes = await page.$eval(`#${id}`, (el) => el.querySelector('svg')?.querySelectorAll('*').length ?? 0);
    assert.ok(shapes >= 10, `#${id} should hold an <svg> chart, has ${shapes} elements`);
  }
  console.log('charts: power curve, estimates and visits drawn');

  // 2. Moving the n slider starts a new run.
  await page.$eval('input[data-key="design.n_per_arm"]', (el) => {
    el.value = '30';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForFunction(() => {
    const el = document.querySelector('#power');
    return el.dataset.state === 'done' && el.dataset.n === '30';
  }, null, { timeout: 60_000 });
  const second = await power();
  assert.notEqual(second.value, first.value, 'power at n 30 should differ from n 15');
  console.log(`after the slider: ${second.text} (n 30)`);

  // 3. The downloads reproduce with the CLI, byte for byte.
  const fetchDownload = async (id) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
    return readFileSync(await download.path());
  };
  const toml = await fetchDownload('download-toml');
  const json = await fetchDownload('download-json');
  const tomlPath = join(tmp, 'scenario.toml');
  writeFileSync(tomlPath, toml);
  execFileSync(cli, ['run', tomlPath, '--out', join(tmp, 'cli'), '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const cliJson = readFileSync(join(tmp, 'cli', 'summary.json'));
  if (!cliJson.equals(json)) {
    const a = json.toString('utf8').split('\n');
    const b = cliJson.toString('utf8').split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    const at = i < 0 ? Math.min(a.length, b.length) : i;
    throw new Error(`summary.json differs from the CLI's at line ${at + 1}:\n  page: ${a[at]}\n  cli:  ${b[at]}`);
  }
  const summary = JSON.parse(cliJson.toString('utf8'));
  const point = summary.design_points.find((d) => d.params['design.n_per_arm'] === 30);
  assert.ok(point, 'the CLI summary has no design point with design.n_per_arm = 30');
  assert.equal(point.metrics.power.estimate, Number(second.value), 'the page\'s power equals the CLI\'s at n 30');
  console.log('downloads: summary.json equals the CLI\'s byte for byte; power matches');

  // 4. One trial at a time: five rows in the forest.
  for (let k = 1; k <= 5; k++) {
    await page.click('#next-trial');
    await page.waitForFunction((k) => document.querySelectorAll('#trial-forest .trial').length === k, k, { timeout: 10_000 });
  }
  console.log(`forest: ${await page.textContent('#trial-summary')}`);

  // 5. A screenshot for people to look at, checked to be more than a blank page.
  mkdirSync(shotDir, { recursive: true });
  const shotPath = join(shotDir, 'classroom.png');
  await page.screenshot({ path: shotPath, fullPage: true });
  const dataUrl = `data:image/png;base64,${readFileSync(shotPath).toString('base64')}`;
  const colours = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const px = new Uint32Array(ctx.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
    return new Set(px).size;
  }, dataUrl);
  assert.ok(colours > 50, `the screenshot looks blank (${colours} colours)`);
  console.log(`screenshot: ${shotPath} (${colours} colours)`);

  // 6. Speed, reported only: the default design point, in the page and in the CLI on one thread.
  const pageMs = await page.evaluate(() => window.trialsimTime(10000));
  console.log(`chromium: 10000 replicates of the default design point in ${Math.round(pageMs)} ms`);
  const single = readFileSync(join(root, 'configs', 'msc_knee_oa.toml'), 'utf8')
    .replace(/^\[sweep\][^]*?(?=^\[|(?![^]))/m, ''); // drop the [sweep] table: one design point
  const singlePath = join(tmp, 'single.toml');
  writeFileSync(singlePath, single);
  const t0 = performance.now();
  execFileSync(cli, ['run', singlePath, '--threads', '1', '--replicates', '10000', '--out', join(tmp, 't'), '--quiet'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`cli (1 thread): ${ms(t0)} ms`);

  // 7. Nothing left the machine: loopback (or the page's own file), data: and blob: only.
  const allowed = (url) => url.startsWith('data:') || url.startsWith('blob:') ||
    (useFile ? url.startsWith(pathToFileURL(dist).href + '/') : url.startsWith(`http://127.0.0.1:${port}/`));
  const outside = requests.filter((url) => !allowed(url));
  assert.deepEqual(outside, [], 'requests outside loopback');
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  console.log(`requests: ${requests.length}, all local`);
  console.log('e2e: passed');
} finally {
  await browser.close();
  if (server) server.close();
  rmSync(tmp, { recursive: true, force: true });
}
