'use strict';
// Runs the trialsim WebAssembly engine off the page's thread. A run is
// simulated in small chunks with a yield between them, so that a newer 'run'
// message can be received and can cancel it; replies carry the run id, so the
// page can drop those of runs it no longer shows.
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

function callWithInput(name, value) {
  const bytes = encoder.encode(JSON.stringify(value));
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

  let done = false;
  while (!done) {
    r = call('step', BLOCKS_PER_STEP);
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

self.onmessage = async ({ data }) => {
  if (!(await ready)) return;
  try {
    if (data.type === 'run') await run(data.id, data.config);
    else if (data.type === 'trial') trial(data.id, data.k);
  } catch (e) {
    // A trap (a Rust panic) leaves the instance unusable: report it, start afresh.
    post({ type: data.type === 'trial' ? 'trial' : 'error', id: data.id, k: data.k,
           error: `engine failure: ${e.message}` });
    await instantiate();
  }
};
