'use strict';
// The trialsim classroom page: sliders → a run in the worker → power, charts,
// findings, and a forest of single trials. All simulation happens in the
// worker (worker.js), so the page stays responsive while it runs.

const SWEEP_N = [5, 10, 15, 20, 30, 50, 80]; // n per arm on the power curve
const DEBOUNCE_MS = 150;
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const sliders = [...document.querySelectorAll('input[data-key]')];
const minus = (text) => text.replace(/^-/, '\u2212');
const fmt1 = (v) => minus(v.toFixed(1));
const pct = (p) => `${(100 * p).toFixed(1)}%`;
const count = (n) => Number(n).toLocaleString('en-US').replace(/,/g, '\u202f');

// How each slider shows its value.
const SHOW = {
  'design.n_per_arm': (v) => String(v),
  'heterogeneity.tau': fmt1,
  'dropout.monthly_rate': (v) => `${(100 * v).toFixed(1)}%`,
  'effect.half_life_months': fmt1,
  'effect.peak': fmt1,
};

const state = {
  presets: [],
  preset: null,
  touched: new Set(), // keys the user moved since the preset was chosen
  runId: 0, // the run the page shows or waits for; replies for others are stale
  result: null, // the shown run's finish() output, once it is done
  drawn: null, // the result the charts show (kept while a new run goes, for resizes)
  trials: [],
  nextK: 0,
  timer: 0,
};

// ---- worker ---------------------------------------------------------------

let workerUrl = null;
function newWorker() {
  const src = $('worker-src').textContent;
  if (!src.trim()) throw new Error('this is the unbuilt page: open web/dist/index.html (built by web/inline.mjs)');
  workerUrl = workerUrl || URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  return new Worker(workerUrl);
}

// The engine's workers: one the page talks to and, with a second core, a
// helper joined to it that simulates every other chunk (see worker.js).
// Returns the main worker and a function that ends both.
function newEngine() {
  const main = newWorker();
  const workers = [main];
  if ((navigator.hardwareConcurrency || 1) >= 2) {
    const helper = newWorker();
    const channel = new MessageChannel();
    main.postMessage({ type: 'peer' }, [channel.port1]);
    helper.postMessage({ type: 'peer' }, [channel.port2]);
    workers.push(helper);
  }
  return { main, end: () => workers.forEach((w) => w.terminate()) };
}

let worker = null;
let resolvePresets;
const presetsReady = new Promise((resolve) => { resolvePresets = resolve; });

function showError(message) {
  $('status').textContent = message;
  $('status').classList.add('error');
  $('power').dataset.state = 'error';
}

function onMessage({ data: m }) {
  switch (m.type) {
    case 'ready': return onPresets(m.presets);
    case 'fatal': return showError(m.error);
    case 'trial': return onTrial(m);
  }
  if (m.id !== state.runId) return; // a cancelled or superseded run
  if (m.type === 'started') {
    $('status').textContent = `Simulating ${count(m.info.planned)} trials…`;
  } else if (m.type === 'progress') {
    $('progress').value = m.planned ? m.done / m.planned : 0;
    $('status').textContent = `Simulating… ${count(m.done)} of ${count(m.planned)} trials`;
  } else if (m.type === 'result') {
    showResult(m.result, m.ms);
  } else if (m.type === 'error') {
    showError(m.error);
  }
}

// ---- scenario and runs ----------------------------------------------------

function onPresets(presets) {
  state.presets = presets;
  const menu = $('preset');
  menu.replaceChildren(...presets.map((p, i) => {
    const option = new Option(p.question ? `${p.name} — ${p.question}` : p.name, String(i));
    return option;
  }));
  menu.disabled = false;
  choosePreset(0);
  resolvePresets(presets);
  startRun();
}

function choosePreset(index) {
  state.preset = state.presets[index];
  state.touched.clear();
  for (const input of sliders) {
    const value = state.preset.values[input.dataset.key];
    // A key the scenario leaves unset keeps the slider where it is, marked as unset.
    if (value !== null && value !== undefined) input.value = String(value);
    showValue(input);
  }
}

// The value the run uses for a key: the slider once moved, else the preset's own
// (which may lie outside the slider's range), else none (the scenario's default).
function valueOf(input) {
  const key = input.dataset.key;
  if (!state.preset || state.touched.has(key)) return Number(input.value);
  const value = state.preset.values[key];
  return value === undefined ? null : value;
}

function showValue(input) {
  const value = valueOf(input);
  const out = input.closest('label').querySelector('output');
  out.textContent = value === null ? 'scenario default' : SHOW[input.dataset.key](value);
}

function config() {
  const set = {};
  for (const input of sliders) {
    const value = valueOf(input);
    if (value !== null) set[input.dataset.key] = value;
  }
  return {
    base: state.preset.text,
    set,
    sweep_n: SWEEP_N,
    replicates: Number($('replicates').value),
    seed: null,
  };
}

// Called on every change: the shown result is out of date at once (its late
// replies are dropped from now on); the run starts when the user pauses.
function scheduleRun() {
  if (!state.preset) return;
  invalidate();
  clearTimeout(state.timer);
  state.timer = setTimeout(startRun, DEBOUNCE_MS);
}

function invalidate() {
  state.runId++;
  state.result = null;
  resetForest();
  for (const b of ['download-toml', 'download-json', 'next-trial']) $(b).disabled = true;
  $('status').classList.remove('error');
  $('progress').value = 0;
  $('power').dataset.state = 'running';
}

function startRun() {
  invalidate();
  $('status').textContent = 'Starting…';
  // The worker cancels its current run when this arrives.
  worker.postMessage({ type: 'run', id: state.runId, config: config() });
}

function showResult(result, ms) {
  state.result = result;
  const p = result.power;
  const power = $('power');
  power.textContent = `Power ${pct(p.value)} ± ${pct(p.se)}`;
  power.dataset.value = String(p.value);
  power.dataset.n = String(p.n);
  power.dataset.replicates = String(p.replicates);
  power.dataset.seed = String(p.seed);
  power.dataset.state = 'done'; // last: the test reads the other attributes after this
  $('power-detail').textContent =
    `${p.n} patients per arm · ${count(p.replicates)} simulated trials · seed ${p.seed} · ± is the Monte Carlo standard error`;
  $('progress').value = 1;
  $('status').textContent = `Done in ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`}.`;

  state.drawn = result;
  drawCharts();
  // The engine escapes the findings' text; they carry only simple markup.
  $('findings').innerHTML = (result.findings || []).map((f) => `<li>${f}</li>`).join('');
  for (const b of ['download-toml', 'download-json', 'next-trial']) $(b).disabled = false;
}

// ---- one trial at a time ------------------------------------------------------

function resetForest() {
  state.trials = [];
  state.nextK = 0;
  drawForest();
}

function onTrial(m) {
  if (m.id !== state.runId) return;
  if (m.error) {
    $('status').textContent = `Could not simulate that trial: ${m.error}`;
    return;
  }
  state.trials.push(m.result);
  state.trials.sort((a, b) => a.replicate - b.replicate);
  drawForest();
}

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceStep(span) {
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function drawForest() {
  const svg = $('trial-forest');
  const trials = state.trials;
  const W = 640, rowH = 16, top = 8, axisH = 40, left = 40, right = 16;
  const H = top + rowH * trials.length + axisH;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  if (!trials.length) {
    $('trial-summary').textContent = 'Each click adds one trial of the current design: dot = its estimate, line = its confidence interval; orange = significant; dashed = the true effect.';
    svg.setAttribute('viewBox', `0 0 ${W} 8`);
    return;
  }

  const ok = (v) => typeof v === 'number' && Number.isFinite(v);
  const xs = [0, ...trials.flatMap((t) => [t.ci_low, t.ci_high, t.estimate, t.theta])].filter(ok);
  let lo = Math.min(...xs), hi = Math.max(...xs);
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad; hi += pad;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - right);
  const bottom = top + rowH * trials.length;

  const step = niceStep(hi - lo);
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    svg.append(svgEl('line', { x1: x(v), x2: x(v), y1: bottom, y2: bottom + 4, class: 'tick' }));
    svg.append(svgEl('text', { x: x(v), y: bottom + 16, class: 'tick-label' }, minus(String(+v.toFixed(6)))));
  }
  svg.append(svgEl('text', { x: (left + W - right) / 2, y: bottom + 34, class: 'axis-title' }, 'estimated effect, treatment − control (points)'));
  svg.append(svgEl('line', { x1: x(0), x2: x(0), y1: top, y2: bottom, class: 'zero' }));

  trials.forEach((t, i) => {
    const y = top + rowH * (i + 0.5);
    const g = svgEl('g', { class: t.significant ? 'trial significant' : 'trial', 'data-k': t.replicate });
    g.append(svgEl('text', { x: left - 6, y: y + 4, class: 'row-label' }, `#${t.replicate + 1}`));
    // Each trial's own truth: with heterogeneity it may differ from trial to trial.
    if (ok(t.theta)) g.append(svgEl('line', { x1: x(t.theta), x2: x(t.theta), y1: y - rowH / 2, y2: y + rowH / 2, class: 'truth' }));
    if (ok(t.estimate)) {
      if (ok(t.ci_low) && ok(t.ci_high)) g.append(svgEl('line', { x1: x(t.ci_low), x2: x(t.ci_high), y1: y, y2: y, class: 'ci' }));
      g.append(svgEl('circle', { cx: x(t.estimate), cy: y, r: 3.5, class: 'estimate' }));
    } else {
      g.append(svgEl('text', { x: left + 4, y: y + 4, class: 'row-label start' }, 'not estimable'));
    }
    svg.append(g);
  });

  // The winner's curse: the significant trials overstate the effect.
  const sig = trials.filter((t) => t.significant && ok(t.estimate));
  let text = `${trials.length} trial${trials.length === 1 ? '' : 's'}, ${sig.length} significant`;
  if (sig.length) {
    text += `; mean significant estimate ${fmt1(mean(sig.map((t) => t.estimate)))} vs truth ${fmt1(mean(sig.map((t) => t.theta)))}`;
  } else {
    text += `; truth ${fmt1(mean(trials.map((t) => t.theta)))}`;
  }
  $('trial-summary').textContent = text;
}

$('next-trial').addEventListener('click', () => {
  if (!state.result) return;
  worker.postMessage({ type: 'trial', id: state.runId, k: state.nextK++ });
});

// ---- charts -------------------------------------------------------------------
// Three small SVG charts drawn from finish()'s `charts`. Each is drawn at the
// container's own width in SVG units, so its text keeps its CSS size, but never
// narrower than 480 units (a phone shrinks the chart rather than overlap its
// labels); a resize redraws them.

const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const pct0 = (p) => `${Math.round(100 * p)}%`;
const Z95 = 1.96; // the Monte Carlo bands and bars are ± 1.96 standard errors

function drawCharts() {
  if (!state.drawn) return;
  const c = state.drawn.charts;
  drawPowerCurve($('fig-power_curve'), c.curve || [], state.drawn.power.n);
  drawEstimates($('fig-estimates'), c.estimates, c.label);
  drawVisits($('fig-visits'), c.visits || [], c.primary_month);
}

function noChart(container, title, why) {
  const p = Object.assign(document.createElement('p'), { className: 'missing', textContent: ` ${why}` });
  p.prepend(Object.assign(document.createElement('strong'), { textContent: `${title}:` }));
  container.replaceChildren(p);
}

// A linear or logarithmic map from [d0, d1] onto [r0, r1].
function scale([d0, d1], [r0, r1], log = false) {
  const f = log ? Math.log : (v) => v;
  const a = f(d0), b = f(d1);
  return (v) => (b === a ? (r0 + r1) / 2 : r0 + ((f(v) - a) / (b - a)) * (r1 - r0));
}

// The frame every chart shares: an <svg> as wide as the container, a title, both
// axes with their ticks and labels, light grid lines across the plot. Returns the
// svg and the x and y maps; `below` adds room under the x tick labels, `pad`
// keeps the end points (and their tick labels) off the plot's sides.
function frame(container, { title, xLabel, yLabel, xDomain, yDomain, xLog, xTicks, yTicks,
  xFormat = String, yFormat = String, below = 0, pad = 12 }) {
  const W = Math.max(480, Math.min(960, container.clientWidth || 640));
  const m = { top: 40, right: 18, bottom: 46 + below, left: 58 };
  const H = 250 + m.top + m.bottom;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(svgEl('title', {}, title));
  svg.append(svgEl('text', { x: 0, y: 16, class: 'chart-title' }, title));
  const x = scale(xDomain, [m.left + pad, W - m.right - pad], xLog);
  const y = scale(yDomain, [H - m.bottom, m.top]);
  const bottom = H - m.bottom;
  for (const v of yTicks) {
    svg.append(svgEl('line', { x1: m.left, x2: W - m.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(svgEl('text', { x: m.left - 6, y: y(v) + 4, class: 'tick-label y' }, yFormat(v)));
  }
  for (const v of xTicks) {
    svg.append(svgEl('line', { x1: x(v), x2: x(v), y1: bottom, y2: bottom + 4, class: 'axis' }));
    svg.append(svgEl('text', { x: x(v), y: bottom + 17, class: 'tick-label' }, xFormat(v)));
  }
  svg.append(svgEl('line', { x1: m.left, x2: W - m.right, y1: bottom, y2: bottom, class: 'axis' }));
  svg.append(svgEl('line', { x1: m.left, x2: m.left, y1: m.top, y2: bottom, class: 'axis' }));
  svg.append(svgEl('text', { x: (m.left + W - m.right) / 2, y: H - 8, class: 'axis-title' }, xLabel));
  const yMid = (m.top + bottom) / 2;
  svg.append(svgEl('text', { x: 14, y: yMid, transform: `rotate(-90 14 ${yMid})`, class: 'axis-title' }, yLabel));
  container.replaceChildren(svg);
  return { svg, x, y, W, bottom, left: m.left, right: W - m.right, top: m.top };
}

const PERCENT_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const points = (pts) => pts.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');

function drawPowerCurve(container, curve, shownN) {
  const pts = curve.filter((d) => finite(d.power.value));
  if (!pts.length) return noChart(container, 'Power by patients per arm', 'no design point had a power to show.');
  const ns = pts.map((d) => d.n);
  const f = frame(container, {
    title: 'Power by patients per arm', xLabel: 'Patients per arm (log scale)', yLabel: 'Power',
    xDomain: [Math.min(...ns), Math.max(...ns)], xLog: Math.min(...ns) > 0, xTicks: ns,
    yDomain: [0, 1], yTicks: PERCENT_TICKS, yFormat: pct0,
  });
  const { svg, x, y } = f;
  const se = (d) => (finite(d.power.se) ? d.power.se : 0);
  const lo = pts.map((d) => [x(d.n), y(Math.max(0, d.power.value - Z95 * se(d)))]);
  const hi = pts.map((d) => [x(d.n), y(Math.min(1, d.power.value + Z95 * se(d)))]);
  if (pts.length > 1) svg.append(svgEl('polygon', { points: points([...hi, ...lo.reverse()]), class: 'band' }));
  else svg.append(svgEl('line', { x1: hi[0][0], x2: hi[0][0], y1: hi[0][1], y2: lo[0][1], class: 'error-bar' }));

  svg.append(svgEl('line', { x1: f.left, x2: f.right, y1: y(0.8), y2: y(0.8), class: 'target' }));
  svg.append(svgEl('text', { x: f.left + 6, y: y(0.8) - 5, class: 'note start' }, '80% power'));

  svg.append(svgEl('polyline', { points: points(pts.map((d) => [x(d.n), y(d.power.value)])), class: 'line' }));
  for (const d of pts) svg.append(svgEl('circle', { cx: x(d.n), cy: y(d.power.value), r: 3, class: 'dot' }));

  const shown = pts.find((d) => d.n === shownN);
  if (shown) highlight(f, x(shown.n), y(shown.power.value), `n = ${shown.n}: ${pct0(shown.power.value)}`);
  svg.append(svgEl('text', { x: f.right, y: f.top - 10, class: 'note end' }, 'shaded: 95% Monte Carlo band'));
}

// A bigger dot with its label above it (below it near the top), kept inside the plot.
function highlight({ svg, left, right, top }, px, py, label) {
  svg.append(svgEl('circle', { cx: px, cy: py, r: 6, class: 'dot shown' }));
  const anchor = px > right - 90 ? 'end' : px < left + 90 ? 'start' : 'middle';
  const ty = py - 12 < top + 14 ? py + 22 : py - 12;
  svg.append(svgEl('text', { x: px, y: ty, class: `shown-label ${anchor}` }, label));
}

function drawEstimates(container, est, label) {
  const rows = (est ? est.values : []).map((v, i) => [v, est.significant[i]]).filter(([v]) => finite(v));
  if (!rows.length) return noChart(container, 'The estimates of the trials', 'no trial gave an estimate.');
  const xs = [0, ...rows.map(([v]) => v), ...(finite(est.theta) ? [est.theta] : [])];
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const BINS = 40;
  const width = (hi - lo) / BINS || 1;
  const bins = Array.from({ length: BINS }, () => ({ sig: 0, other: 0 }));
  for (const [v, sig] of rows) bins[Math.min(BINS - 1, Math.floor((v - lo) / width))][sig ? 'sig' : 'other'] += 1;
  const top = 1.1 * Math.max(...bins.map((b) => b.sig + b.other)); // room for the label
  const yStep = niceStep(top);
  const step = niceStep(hi - lo);

  const f = frame(container, {
    title: `The estimates of ${count(rows.length)} trials`,
    xLabel: `Estimated effect (points; ${label})`, yLabel: 'Number of trials',
    xDomain: [lo, hi + width], yDomain: [0, Math.ceil(top / yStep) * yStep],
    xTicks: range(Math.ceil(lo / step) * step, hi + width, step), xFormat: (v) => minus(String(+v.toFixed(6))),
    yTicks: range(0, top + yStep / 2, yStep),
  });
  const { svg, x, y } = f;
  bins.forEach((b, i) => {
    const x0 = x(lo + i * width) + 0.5, w = Math.max(0.5, x(lo + (i + 1) * width) - x(lo + i * width) - 1);
    // Significant trials at the bottom of each bar, the others stacked on them.
    if (b.sig) svg.append(svgEl('rect', { x: x0, width: w, y: y(b.sig), height: y(0) - y(b.sig), class: 'bar significant' }));
    if (b.other) svg.append(svgEl('rect', { x: x0, width: w, y: y(b.sig + b.other), height: y(b.sig) - y(b.sig + b.other), class: 'bar' }));
  });
  svg.append(svgEl('line', { x1: x(0), x2: x(0), y1: f.top, y2: f.bottom, class: 'zero' }));
  if (finite(est.theta)) {
    svg.append(svgEl('line', { x1: x(est.theta), x2: x(est.theta), y1: f.top, y2: f.bottom, class: 'truth' }));
    const anchor = x(est.theta) > (f.left + f.right) / 2 ? 'end' : 'start';
    svg.append(svgEl('text', { x: x(est.theta) + (anchor === 'end' ? -4 : 4), y: f.top + 10, class: `note ${anchor}` },
      `true effect ${fmt1(est.theta)}`));
  }
  svg.append(svgEl('rect', { x: f.right - 190, y: f.top - 19, width: 10, height: 10, class: 'bar significant' }));
  svg.append(svgEl('text', { x: f.right - 176, y: f.top - 10, class: 'note start' }, 'significant'));
  svg.append(svgEl('rect', { x: f.right - 100, y: f.top - 19, width: 10, height: 10, class: 'bar' }));
  svg.append(svgEl('text', { x: f.right - 86, y: f.top - 10, class: 'note start' }, 'not significant'));

  const note = curseNote(est);
  if (note) container.append(Object.assign(document.createElement('p'), { className: 'chart-note', textContent: note }));
}

// "Significant trials (34% of all) overstate the true effect 3.6× …", leaving out
// the metrics that are undefined for this run.
function curseNote({ power, type_m: typeM, type_s: typeS }) {
  if (!finite(power.value)) return '';
  let text = `Significant trials (${pct0(power.value)} of all)`;
  if (finite(typeM.value)) text += ` overstate the true effect ${typeM.value.toFixed(1)}× on average (exaggeration ratio)`;
  if (finite(typeS.value)) text += `; ${pct(typeS.value)} point the wrong way`;
  return `${text}.`;
}

function range(from, to, step) {
  const out = [];
  for (let v = from; v <= to + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
}

function drawVisits(container, visits, primaryMonth) {
  const pts = visits.filter((d) => finite(d.power.value));
  if (!pts.length) return noChart(container, 'Power by visit', 'this scenario has no analysis by visit.');
  const months = pts.map((d) => d.month);
  const theta = new Map(pts.map((d) => [d.month, d.theta]));
  const f = frame(container, {
    title: 'Power by visit', xLabel: 'Months since randomisation (log scale); θ = true effect',
    yLabel: 'Power', xDomain: [Math.min(...months), Math.max(...months)], xLog: Math.min(...months) > 0,
    xTicks: months, yDomain: [0, 1], yTicks: PERCENT_TICKS, yFormat: pct0, below: 16, pad: 30,
  });
  const { svg, x, y } = f;
  for (const m of months) {
    if (finite(theta.get(m))) svg.append(svgEl('text', { x: x(m), y: f.bottom + 33, class: 'tick-label theta' }, `θ = ${fmt1(theta.get(m))}`));
  }
  svg.append(svgEl('polyline', { points: points(pts.map((d) => [x(d.month), y(d.power.value)])), class: 'line' }));
  for (const d of pts) {
    const se = finite(d.power.se) ? d.power.se : 0;
    svg.append(svgEl('line', { x1: x(d.month), x2: x(d.month), y1: y(Math.max(0, d.power.value - Z95 * se)),
      y2: y(Math.min(1, d.power.value + Z95 * se)), class: 'error-bar' }));
    svg.append(svgEl('circle', { cx: x(d.month), cy: y(d.power.value), r: 3, class: 'dot' }));
  }
  const primary = pts.find((d) => d.month === primaryMonth);
  if (primary) highlight(f, x(primary.month), y(primary.power.value), `month ${primary.month} (primary): ${pct0(primary.power.value)}`);
  svg.append(svgEl('text', { x: f.right, y: f.top - 10, class: 'note end' }, 'bars: 95% Monte Carlo intervals'));
}

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawCharts, DEBOUNCE_MS);
});

// ---- downloads ----------------------------------------------------------------

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

$('download-toml').addEventListener('click', () => {
  if (state.result) download('scenario.toml', state.result.toml, 'application/toml');
});
$('download-json').addEventListener('click', () => {
  if (state.result) download('summary.json', state.result.summary, 'application/json'); // verbatim
});

// ---- controls -----------------------------------------------------------------

for (const input of sliders) {
  const moved = () => {
    state.touched.add(input.dataset.key);
    showValue(input);
    scheduleRun();
  };
  input.addEventListener('input', moved);
  input.addEventListener('change', moved);
}
$('preset').addEventListener('change', (e) => {
  choosePreset(Number(e.target.value));
  scheduleRun();
});
$('replicates').addEventListener('change', scheduleRun);

// For the end-to-end test: time `replicates` replicates of the default design
// point alone, in a worker of its own so the shown run is not disturbed.
window.trialsimTime = async (replicates) => {
  const presets = await presetsReady;
  const engine = newEngine();
  const timer = engine.main;
  try {
    return await new Promise((resolve, reject) => {
      timer.onmessage = ({ data: m }) => {
        if (m.type === 'result') resolve(m.ms);
        else if (m.type === 'error' || m.type === 'fatal') reject(new Error(m.error));
      };
      timer.onerror = (e) => reject(new Error(e.message || 'worker failed'));
      timer.postMessage({
        type: 'run',
        id: 1,
        config: { base: presets[0].text, set: { 'design.n_per_arm': 15 }, sweep_n: [], replicates, seed: null },
      });
    });
  } finally {
    engine.end();
  }
};

for (const input of sliders) showValue(input);
try {
  worker = newEngine().main;
  worker.onmessage = onMessage;
  worker.onerror = (e) => showError(`The simulation worker failed: ${e.message || 'unknown error'}`);
} catch (e) {
  showError(e.message);
}
