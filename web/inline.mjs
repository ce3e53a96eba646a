#!/usr/bin/env node
// Builds the self-contained classroom page: one HTML file with the CSS, the
// page script, the worker script and the engine (base64) inside, so it works
// from any static host and from file:// with no request to anywhere.
//
//   node web/inline.mjs <trialsim_web.wasm> [out folder, default web/dist]

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [wasmPath, outDir = join(here, 'dist')] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: node web/inline.mjs <trialsim_web.wasm> [out folder]');
  process.exit(2);
}

const src = (name) => readFileSync(join(here, 'src', name), 'utf8');
// Inside a <script> or <style> element only "</script" / "</style" can end it early.
const safe = (text, tag) => text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');

function replaceOnce(html, marker, replacement) {
  const at = html.indexOf(marker);
  if (at < 0 || html.indexOf(marker, at + 1) >= 0) {
    throw new Error(`web/src/index.html must contain exactly one ${marker}`);
  }
  // A function, so that "$&" and the like in the replacement stay literal.
  return html.replace(marker, () => replacement);
}

const wasm = readFileSync(wasmPath);
const workerSrc = `const WASM_B64 = "${wasm.toString('base64')}";\n${src('worker.js')}`;

let html = src('index.html');
html = replaceOnce(html, '<link rel="stylesheet" href="style.css">', `<style>\n${safe(src('style.css'), 'style')}</style>`);
html = replaceOnce(html, '<script type="text/plain" id="worker-src"></script>',
  `<script type="text/plain" id="worker-src">\n${safe(workerSrc, 'script')}</script>`);
html = replaceOnce(html, '<script src="app.js"></script>', `<script>\n${safe(src('app.js'), 'script')}</script>`);

// Self-containment check: nothing that would load from outside.
const remote = html.match(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:|\/\/)|@import|url\(\s*["']?\s*(?:https?:|\/\/)/i);
if (remote) throw new Error(`the page would load a remote resource: ${remote[0]}`);

mkdirSync(outDir, { recursive: true });
const out = resolve(outDir, 'index.html');
writeFileSync(out, html);
console.log(`wrote ${out} (${Math.round(html.length / 1024)} KiB, engine ${Math.round(wasm.length / 1024)} KiB)`);
