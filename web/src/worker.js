'use strict';
// Runs the trialsim WebAssembly engine off the page's thread. A run is
// simulated in small chunks with a yield between them, so that a newer 'run'
// message can be received and can cancel it; replies carry the run id, so the
// page can drop those of runs it no longer shows.
//
// With a second core the page starts two of these workers, joined by a
// MessagePort: the main one runs the engine's blocks in chunks of
// BLOCKS_PER_STEP and folds them in order; the helper simulates every other
// chunk (1, 3, 5, …) of the same run ahead of it and sends them over, to be
// folded in their turn. The fold order is the engine's, so the results are
// bit-identical to one worker's, or to `trialsim run`.
//
// inline.mjs prepends `const WASM_B64 = "…";` (the engine, base64) to this file.
/* global WASM_B64 */

const BLOCKS_PER_STEP = 4; // one block = 250 replicates at every design point
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let engineModule = null; // compiled once; re-instantiated after a trap
let engineImports = {}; // stubs for the module's imports (see stubImports)
let ex = null; // the instance's exports
let current = 0; // newest run asked for: an older loop stops at its next yield
let loaded = 0; // run whose finished state the engine holds (for trial(k))
let peer = null; // the MessagePort to the other worker, if any
const chunks = new Map(); // helper chunks received for the current run: index → JSON text
let chunkArrived = null; // wakes the main loop when a chunk arrives (or a run is superseded)

const post = (msg) => self.postMessage(msg);

async function load() {
  if (typeof WASM_B64 !== 'string') {
    throw new Error('this page has no engine inside: build it with web/inline.mjs');
  }
  const text = atob(WASM_B64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  engineModule = await WebAssembly.compile(bytes);
  engineImports = stubImports(engineModule);
  await instantiate();
}

// The engine links plotters, which on wasm32 brings in web-sys, so the module
// imports wasm-bindgen glue (modules __wbindgen_placeholder__ and
// __wbindgen_externref_xform__). Only plotters' text measuring would call it,
// and that needs a DOM; the page draws its own charts, so nothing it calls
// reaches these imports. Each stub throws, so a call that did would be a clear
// error rather than a silent wrong answer.
function stubImports(module) {
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.kind === 'function') {
      (imports[i.module] ??= {})[i.name] = () => {
        throw new Error(`trialsim: ${i.name} is not available in the page`);
      };
    }
  }
  return imports;
}

async function instantiate() {
  ex = (await WebAssembly.instantiate(engineModule, engineImports)).exports;
  loaded = 0;
}

// The engine leaves each call's answer (JSON) in its memory; read it at once,
// before the next call overwrites it.
function call(name, ...args) {
  const rc = ex[name](...args);
  const view = new Uint8Array(ex.memory.buffer, ex.out_ptr(), ex.out_len());
  return { rc, out: JSON.parse(decoder.decode(view)) };
}

// The raw text of the engine's answer (a helper's chunk, passed on unparsed).
function callRaw(name, ...args) {
  const rc = ex[name](...args);
  return { rc, text: decoder.decode(new Uint8Array(ex.memory.buffer, ex.out_ptr(), ex.out_len())) };
}

function callWithInput(name, value) {
  return callWithText(name, JSON.stringify(value));
}

function callWithText(name, text) {
  const bytes = encoder.encode(text);
  const ptr = ex.alloc(bytes.length);
  new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return call(name, ptr, bytes.length);
  } finally {
    ex.dealloc(ptr, bytes.length);
  }
}

function failure(what, r) {
  return (r.out && r.out.error) || `${what} failed (engine code ${r.rc})`;
}

async function run(id, config) {
  current = id;
  loaded = 0;
  const t0 = performance.now();
  let r = callWithInput('start', config);
  if (r.rc !== 0) return post({ type: 'error', id, error: failure('start', r) });
  post({ type: 'started', id, info: r.out });

  chunks.clear();
  if (peer) peer.postMessage({ type: 'run', id, config });
  let done = false;
  for (let chunk = 0; !done; chunk++) {
    if (peer && chunk % 2 === 1) {
      const text = await helperChunk(id, chunk);
      if (current !== id) return;
      r = callWithText('fold', text);
    } else {
      r = call('step', BLOCKS_PER_STEP);
    }
    if (r.rc !== 0 && r.rc !== 1) return post({ type: 'error', id, error: failure('step', r) });
    done = r.rc === 1;
    post({ type: 'progress', id, done: r.out.done, planned: r.out.planned });
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (current !== id) return; // a newer run has already restarted the engine
  }

  r = call('finish');
  if (r.rc !== 0) return post({ type: 'error', id, error: failure('finish', r) });
  loaded = id;
  post({ type: 'result', id, result: r.out, ms: performance.now() - t0 });
}

// The helper's chunk `chunk` of run `id`, once it has arrived.
async function helperChunk(id, chunk) {
  while (current === id && !chunks.has(chunk)) {
    await new Promise((resolve) => { chunkArrived = resolve; });
  }
  const text = chunks.get(chunk);
  chunks.delete(chunk);
  return text;
}

// The helper's loop: simulate chunks 1, 3, 5, … of the run and send them.
async function help(id, config) {
  current = id;
  let r = callWithInput('start', config);
  if (r.rc !== 0) return; // the main worker reports the same error
  const blocks = r.out.blocks;
  for (let chunk = 1; chunk * BLOCKS_PER_STEP < blocks; chunk += 2) {
    const raw = callRaw('simulate', chunk * BLOCKS_PER_STEP, BLOCKS_PER_STEP);
    if (raw.rc !== 0) return;
    peer.postMessage({ type: 'chunk', id, chunk, text: raw.text });
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (current !== id) return;
  }
}

function onPeerMessage({ data }) {
  if (data.type === 'run') {
    help(data.id, data.config).catch(() => instantiate());
  } else if (data.type === 'chunk' && data.id === current) {
    chunks.set(data.chunk, data.text);
    if (chunkArrived) chunkArrived();
  }
}

function trial(id, k) {
  if (id !== loaded) {
    return post({ type: 'trial', id, k, error: 'that run is no longer loaded' });
  }
  const r = call('trial', k);
  if (r.rc !== 0) return post({ type: 'trial', id, k, error: failure('trial', r) });
  post({ type: 'trial', id, k, result: r.out });
}

const ready = load()
  .then(() => {
    const r = call('presets');
    if (r.rc !== 0) throw new Error(failure('presets', r));
    post({ type: 'ready', presets: r.out });
    return true;
  })
  .catch((e) => {
    post({ type: 'fatal', error: `Could not start the simulation engine: ${e.message}` });
    return false;
  });

self.onmessage = async ({ data, ports }) => {
  if (data.type === 'peer') {
    // Joined to the other worker. Both keep the port: the page sends runs
    // only to the main one, which passes each on to the helper.
    peer = ports[0];
    peer.onmessage = async (event) => {
      if (await ready) onPeerMessage(event);
    };
    return;
  }
  if (!(await ready)) return;
  try {
    if (data.type === 'run') {
      if (chunkArrived) chunkArrived(); // wake a main loop waiting for a superseded run's chunk
      await run(data.id, data.config);
    }
    else if (data.type === 'trial') trial(data.id, data.k);
  } catch (e) {
    // A trap (a Rust panic) leaves the instance unusable: report it, start afresh.
    post({ type: data.type === 'trial' ? 'trial' : 'error', id: data.id, k: data.k,
           error: `engine failure: ${e.message}` });
    await instantiate();
  }
};
