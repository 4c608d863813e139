// The packed package in an empty project: npm pack, an offline install of the tarball, ESM use, npx condgrad, a strict TypeScript consumer, without and with the WebGPU stack.

import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPU_PACKAGES } from '../../kernels/gpu/packages.js';
import { ABSENT_MJS, CONSUMER_TS, TRAIN_MJS, TSCONFIG, WRONG_PATH_TS } from './consumer_fixtures.js';
import { consumerLock, type Lockfile } from './lockfile.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** The environment of every child: no backend or thread choice inherited, no update checks. */
function childEnv(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  delete e.CONDGRAD_BACKEND;
  delete e.CONDGRAD_THREADS;
  // Under `npm test` npm describes this checkout to its children; the consumer is another project.
  for (const k of Object.keys(e)) if (k === 'npm_config_local_prefix' || k.startsWith('npm_package_') || k.startsWith('npm_lifecycle_')) delete e[k];
  return e;
}

function run(cmd: string, args: readonly string[], cwd: string, timeout = 120000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.error, `${what}: ${String(r.error)}`).to.equal(undefined);
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

describe('the packed package in a fresh project', function () {
  this.timeout(300000);
  let dir = '';
  let app = '';
  let packed: { filename: string; integrity: string; size: number; unpackedSize: number; files: { path: string }[] };

  /**
   * Writes the consumer's package.json (condgrad from the tarball, plus `dependencies`) and a lock
   * built from ours, then installs with `npm ci --offline`: every tarball comes from npm's cache
   * (filled by `npm ci` in the checkout), nothing from the network.
   */
  function install(dependencies: Record<string, string>, overrides?: Record<string, string>): void {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown> & { name: string; version: string };
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile;
    const devDependencies = { '@types/node': lock.packages['node_modules/@types/node'].version! };
    const manifest = {
      name: 'condgrad-consumer',
      private: true,
      type: 'module',
      dependencies: { [pkg.name]: `file:${packed.filename}`, ...dependencies },
      devDependencies,
      ...(overrides ? { overrides } : {}),
    };
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    const consumer = consumerLock({
      lock,
      name: manifest.name,
      dependencies,
      devDependencies,
      overrides,
      pkg: { name: pkg.name, version: pkg.version, manifest: pkg, tarball: packed.filename, integrity: packed.integrity },
    });
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumer, null, 2));
    ok(run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], app, 240000), 'npm ci --offline');
  }

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-consumer-'));
    app = path.join(dir, 'app');
    fs.mkdirSync(app);
    // npm pack runs prepack (the build) first; its output goes to stderr with --json's report on stdout.
    const out = ok(run(npm, ['pack', '--json', '--pack-destination', dir, '--foreground-scripts=false'], root, 240000), 'npm pack');
    packed = (JSON.parse(out.slice(out.indexOf('[\n'))) as (typeof packed)[])[0];
    fs.renameSync(path.join(dir, packed.filename), path.join(app, packed.filename));
    // The gpu packages beside it, as the README says (the last test removes them, as a plain install lacks them).
    install({ 'gpu.js': GPU_PACKAGES['gpu.js'], webgpu: GPU_PACKAGES.webgpu }, { webgpu: '$webgpu' });
    for (const [name, text] of [
      ['train.mjs', TRAIN_MJS],
      ['consumer.ts', CONSUMER_TS],
      ['absent.mjs', ABSENT_MJS],
    ])
      fs.writeFileSync(path.join(app, name), text);
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['consumer.ts', 'wrong.ts'] }, null, 2));
    fs.writeFileSync(path.join(app, 'wrong.ts'), WRONG_PATH_TS);
  });

  after(() => {
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds dist/ (ESM, source maps, .d.ts), bin/, README and LICENSE, and nothing else; every exports target is in it', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const f of files) expect(f).to.match(/^(dist\/.+\.(js|js\.map|d\.ts)|bin\/condgrad\.js|README\.md|LICENSE|package\.json)$/);
    expect(files).to.include.members([
      'dist/index.js',
      'dist/index.js.map',
      'dist/cli.js',
      'dist/types/index.d.ts',
      'bin/condgrad.js',
      'README.md',
      'LICENSE',
      'package.json',
    ]);
    console.log(`      tarball ${(packed.size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${files.length} files`);
    expect(packed.size).to.be.below(1.6e6);
    const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'condgrad', 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const main = installed.exports['.'] as Record<string, string>;
    expect(Object.keys(main)).to.deep.equal(['types', 'browser', 'node', 'default']);
    // The browser target is produced by the browser build (build.browser.mjs); checked wherever the repository has one.
    const hasBrowserBuild = fs.existsSync(path.join(root, 'build.browser.mjs'));
    for (const [cond, target] of Object.entries(main)) {
      if (cond === 'browser' && !hasBrowserBuild) continue;
      expect(files, `exports['.'].${cond}`).to.include(target.replace(/^\.\//, ''));
    }
  });

  it('the bundles import no optional or CLI-only package at their top level (those load lazily)', () => {
    const dist = path.join(app, 'node_modules', 'condgrad', 'dist');
    /**
     * The packages that loading `file` imports at once (following its static imports of the shared chunks),
     * and the text of every file it can load (static and dynamic imports of chunks).
     */
    const graph = (file: string): { eager: string[]; text: string } => {
      const eager = new Set<string>();
      const seen = new Set<string>();
      let text = '';
      const visit = (f: string, isEager: boolean): void => {
        if (seen.has(f)) return;
        seen.add(f);
        const src = fs.readFileSync(f, 'utf8');
        text += src;
        for (const [, spec] of src.matchAll(/^import\s*(?:[^;'"]*?\bfrom\s*)?["']([^"']+)["']/gm)) {
          if (spec.startsWith('.')) visit(path.resolve(path.dirname(f), spec), isEager);
          else if (isEager && !spec.startsWith('node:')) eager.add(spec);
        }
        for (const [, spec] of src.matchAll(/\bimport\(["'](\.[^"']+)["']\)/g)) visit(path.resolve(path.dirname(f), spec), false);
      };
      visit(path.join(dist, file), true);
      return { eager: [...eager].sort(), text };
    };
    // ndarray (fromNdarray/toNdarray) and protobufjs (ONNX import/export) are library dependencies; cli-progress is the CLI's bar.
    expect(graph('index.js').eager).to.deep.equal(['ndarray', 'protobufjs/light.js']);
    expect(graph('cli.js').eager).to.deep.equal(['cli-progress', 'ndarray', 'protobufjs/light.js']);
    for (const file of ['index.js', 'cli.js']) {
      const { text } = graph(file);
      for (const lazy of ['gpu.js', 'webgpu']) expect(text, `${file}: import("${lazy}")`).to.include(`import("${lazy}")`);
    }
  });

  it('imports from ESM, picks wasm, trains a CondConv net on real digits (the loss falls), runs cpu, and gpu from the installed gpu packages', () => {
    const out = JSON.parse(ok(run(process.execPath, ['train.mjs'], app), 'node train.mjs')) as {
      default: string;
      threads: number;
      losses: number[];
      paramsOn: string;
      cpuSum: number;
      gpu: { ok: true; sum: number } | { ok: false; isCondgradError: boolean; message: string };
    };
    expect(out.default).to.equal('wasm');
    expect(out.threads).to.equal(2);
    expect(out.paramsOn).to.equal('wasm');
    expect(out.losses).to.have.length(20);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(out.losses.slice(0, 3)),
      last = mean(out.losses.slice(-3));
    expect(first).to.be.within(2.0, 2.6);
    expect(last, out.losses.join(' ')).to.be.below(0.6 * first);
    expect(Number.isFinite(out.cpuSum)).to.equal(true);
    // The gpu backend from the installed gpu.js and webgpu: it agrees with cpu, or (without a WebGPU adapter) a named error.
    if (out.gpu.ok) expect(out.gpu.sum).to.be.closeTo(out.cpuSum, 1e-3 * Math.max(1, Math.abs(out.cpuSum)));
    else {
      expect(process.env.CONDGRAD_REQUIRE_GPU, `gpu backend failed in the consumer: ${out.gpu.message}`).not.to.equal('1');
      expect(out.gpu.isCondgradError, out.gpu.message).to.equal(true);
      expect(out.gpu.message).to.match(/no WebGPU adapter/);
    }
  });

  it('npx condgrad works from the installed package: --help and summary', () => {
    const help = ok(run(npx, ['--offline', 'condgrad', '--help'], app), 'npx condgrad --help');
    expect(help).to.match(/Usage: condgrad <command>/);
    expect(help).to.match(/train\s+Train a model on MNIST/);
    const summary = ok(run(npx, ['--offline', 'condgrad', 'summary', '--model', 'cnn', '--experts', '2'], app), 'npx condgrad summary');
    expect(summary).to.match(/Total params: [\d,]+/);
  });

  it('a strict TypeScript consumer type-checks against the shipped .d.ts; a wrong path name does not', () => {
    // One tsc run over both files: the only error must be wrong.ts's path (an unused @ts-expect-error in
    // consumer.ts, or any other error there, would be a second line).
    const r = run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    const lines = r.stdout.trim().split('\n');
    expect(lines, r.stdout).to.have.length(1);
    expect(lines[0]).to.match(/^wrong\.ts\(3,\d+\): error TS(2322|2820): Type '"fusd"' is not assignable to type/);
    expect(r.status).to.not.equal(0);
  });

  it('the gpu packages absent (as after a plain install): cpu and wasm work, and the gpu backend is one error naming the missing package', () => {
    // gpu.js declares webgpu 0.2.9; the override kept one webgpu (ours) instead of a second Dawn build.
    expect(fs.existsSync(path.join(app, 'node_modules', 'gpu.js', 'node_modules', 'webgpu'))).to.equal(false);
    for (const gone of ['gpu.js', 'webgpu']) {
      fs.rmSync(path.join(app, 'node_modules', gone), { recursive: true });
      const out = JSON.parse(ok(run(process.execPath, ['absent.mjs'], app), `node absent.mjs without ${gone}`)) as {
        default: string;
        wasmSum: number;
        cpuSum: number;
        gpu: { isCondgradError: boolean; message: string };
      };
      expect(out.default).to.equal('wasm');
      expect(out.wasmSum).to.be.closeTo(out.cpuSum, 1e-4 * Math.max(1, Math.abs(out.cpuSum)));
      expect(out.gpu.isCondgradError).to.equal(true);
      const role = gone === 'webgpu' ? "Dawn's WebGPU for Node" : 'the kernel compiler';
      // Without both, webgpu (loaded first) is the one named.
      expect(out.gpu.message).to.equal(
        `gpu: the gpu backend needs the optional package '${gone}' (${role}), which is not installed. ` +
          'Install both gpu packages (npm install gpu.js@2.24.1 webgpu@0.6.2; they are optional peer dependencies of condgrad), or use the cpu or wasm backend',
      );
    }
  });
});
