// The platform modules: the browser build's SHA-256, file, environment and array-copy stand-ins agree with (or fail as named beside) the Node ones, and the browser bundle imports no Node built-in.

import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CondgradError } from '../../core/errors.js';
import { sha256 as sha256Js } from '../../core/platform/sha256.browser.js';
import { sha256 as sha256Node } from '../../core/platform/sha256.js';
import * as webFiles from '../../core/platform/files.browser.js';
import * as nodeFiles from '../../core/platform/files.js';
import * as webEnv from '../../core/platform/env.browser.js';
import * as nodeArrays from '../../core/platform/arrays.js';
import * as webArrays from '../../core/platform/arrays.browser.js';
import { Rng } from '../../core/random.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Node globals a browser bundle must not touch: process fields and the Buffer allocators (from,
 * alloc, allocUnsafe, allocUnsafeSlow). protobufjs's own util.Buffer (feature-detected, null in a
 * browser) is a property access, so a Buffer preceded by `.` or an identifier character is allowed.
 */
const NODE_GLOBALS = /\bprocess\.(env|platform|pid)\b|(?<![.\w$])Buffer\.(from|alloc\w*)\b/;

describe('platform modules', () => {
  it('the JavaScript SHA-256 equals node:crypto on lengths around every block boundary, in chunks', () => {
    const rng = new Rng(7);
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4099]) {
      const data = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
      const want = createHash('sha256').update(data).digest('hex');
      expect(hex(sha256Js([data])), `n ${n}`).to.equal(want);
      expect(hex(sha256Node([data])), `n ${n}`).to.equal(want);
      const cut = [0, Math.floor(n / 3), Math.floor(n / 2), n];
      const chunks = [data.subarray(cut[0], cut[1]), data.subarray(cut[1], cut[2]), data.subarray(cut[2], cut[3])];
      expect(hex(sha256Js(chunks)), `n ${n} in chunks`).to.equal(want);
    }
    expect(hex(sha256Js([new TextEncoder().encode('abc')]))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('the browser build names the op and points at the byte-level API instead of touching files', () => {
    expect(() => webFiles.writeFileAtomic('saveCheckpoint', 'run/a.ckpt', [new Uint8Array(1)])).to.throw(
      CondgradError,
      /^saveCheckpoint: cannot use the file 'run\/a\.ckpt': the browser build has no file system; pass bytes instead \(encodeCheckpoint/,
    );
    expect(() => webFiles.readFileBytes('loadCheckpoint', 'a.ckpt')).to.throw(CondgradError, /^loadCheckpoint: cannot use the file 'a\.ckpt'/);
    expect(() => webFiles.readFileRaw('w.safetensors')).to.throw(Error, /^the browser build has no file system/);
    for (const [f, n] of [
      ['run/a.ckpt', 'epoch-1.ckpt'],
      ['a.ckpt', 'x'],
      ['/abs/dir/a', 'b'],
    ]) {
      expect(webFiles.siblingPath(f, n)).to.equal(nodeFiles.siblingPath(f, n));
    }
  });

  it('the browser environment has no variables and threads only when cross-origin isolated', () => {
    expect(webEnv.readEnv('PATH')).to.equal(undefined);
    const g = globalThis as { crossOriginIsolated?: boolean };
    const had = Object.getOwnPropertyDescriptor(globalThis, 'crossOriginIsolated');
    try {
      g.crossOriginIsolated = false;
      const no = webEnv.sharedMemoryThreads();
      expect(no.ok).to.equal(false);
      expect(no.ok ? '' : no.reason).to.match(/Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
      g.crossOriginIsolated = true;
      expect(webEnv.sharedMemoryThreads().ok).to.equal(true);
    } finally {
      if (had) Object.defineProperty(globalThis, 'crossOriginIsolated', had);
      else delete g.crossOriginIsolated;
    }
    expect(webEnv.hardwareThreads()).to.be.at.least(1);
  });

  it('dist/browser imports no Node built-in (after npm run build)', function () {
    const dir = 'dist/browser';
    if (!existsSync(join(dir, 'condgrad.js'))) this.skip();
    const files = [
      join(dir, 'condgrad.js'),
      ...readdirSync(join(dir, 'chunks'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(dir, 'chunks', f)),
    ];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.to.match(/(?:from|import)\s*\(?\s*["'](?:node:|fs["']|path["']|os["']|crypto["']|worker_threads["'])/);
      expect(src, f).not.to.match(NODE_GLOBALS);
    }
  });
  it('the bundle guard catches every Buffer allocator and process field, not a property named Buffer', () => {
    for (const bad of ['Buffer.from(b)', 'Buffer.alloc(8)', 'Buffer.allocUnsafe(8)', 'x=Buffer.allocUnsafeSlow(n)', '(process.env.X)', 'process.platform']) {
      expect(bad).to.match(NODE_GLOBALS);
    }
    for (const ok of ['t.Buffer.allocUnsafe(e)', 'util.Buffer.from(e)', 'myBuffer.alloc(1)', 'Buffer.fromage', 'process.envy']) {
      expect(ok).not.to.match(NODE_GLOBALS);
    }
  });
  it('copyToFresh (Node: uninitialised from 64 KiB; browser: slice) copies a shared-heap view into its own unshared buffer', () => {
    const rng = new Rng(11);
    for (const [name, copy] of [
      ['node', nodeArrays.copyToFresh],
      ['browser', webArrays.copyToFresh],
    ] as const) {
      for (const Ctor of [Float32Array, Float64Array]) {
        const bpe = Ctor.BYTES_PER_ELEMENT;
        for (const n of [0, 3, 65536 / bpe - 1, 65536 / bpe, 65536 / bpe + 5, 300000]) {
          // A view at an offset into a shared buffer, as a wasm storage's data is.
          const sab = new SharedArrayBuffer((n + 4) * bpe);
          const src = Ctor === Float32Array ? new Float32Array(sab, 2 * bpe, n) : new Float64Array(sab, 2 * bpe, n);
          for (let i = 0; i < n; i++) src[i] = rng.uniform() - 0.5;
          const c = copy(src);
          const what = `${name} ${Ctor.name} n ${n}`;
          expect(c, what).to.be.instanceOf(Ctor);
          expect(c.buffer, what).to.be.instanceOf(ArrayBuffer);
          expect([c.length, c.byteOffset, c.buffer.byteLength], what).to.deep.equal([n, 0, n * bpe]);
          expect(Array.from(c), what).to.deep.equal(Array.from(src));
          if (n > 0) {
            c[n - 1] = 42;
            expect(src[n - 1], what).to.not.equal(42);
          }
        }
      }
    }
  });
});
