// The gpu backend's optional packages: the versions match package.json, and an absent or broken one is one named CondgradError.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CondgradError } from '../../core/errors.js';
import { GPU_PACKAGES, loadGpuPackage } from '../../kernels/gpu/packages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('gpu backend: optional packages', () => {
  it('GPU_PACKAGES are the optional peer dependencies of package.json (and the dev versions), never plain dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    expect(pkg.peerDependencies).to.deep.equal(GPU_PACKAGES);
    for (const [name, version] of Object.entries(GPU_PACKAGES)) {
      expect(pkg.peerDependenciesMeta?.[name], name).to.deep.equal({ optional: true });
      expect(pkg.devDependencies?.[name], name).to.equal(version);
      expect(pkg.dependencies ?? {}, name).not.to.have.property(name);
      expect(pkg.optionalDependencies ?? {}, name).not.to.have.property(name);
    }
  });

  it('a package that is not installed: the error names it, says so and how to install both', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'webgpu' imported from /x/dist/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const e = await rejection(loadGpuPackage('webgpu', () => Promise.reject(notFound)));
    expect(e).to.be.instanceOf(CondgradError);
    expect(e.message).to.equal(
      "gpu: the gpu backend needs the optional package 'webgpu' (Dawn's WebGPU for Node), which is not installed. " +
        'Install both gpu packages (npm install gpu.js@2.24.1 webgpu@0.6.2; they are optional peer dependencies of condgrad), or use the cpu or wasm backend',
    );
  });

  it('a package that is present but fails to load (or misses a dependency of its own): the error names it and gives the reason', async () => {
    const broken = new Error('libEGL.so.1: cannot open shared object file\nstack...');
    const e = await rejection(loadGpuPackage('webgpu', () => Promise.reject(broken)));
    expect(e.message).to.match(
      /^gpu: the gpu backend needs the optional package 'webgpu' \(Dawn's WebGPU for Node\), which failed to load \(libEGL\.so\.1: cannot open shared object file\)\. /,
    );
    const inner = Object.assign(new Error("Cannot find module 'acorn'"), { code: 'MODULE_NOT_FOUND' });
    const g = await rejection(loadGpuPackage('gpu.js', () => Promise.reject(inner)));
    expect(g.message).to.match(/'gpu\.js' \(the kernel compiler\), which failed to load \(Cannot find module 'acorn'\)/);
  });

  it('a present package loads as its module', async () => {
    const m = await loadGpuPackage<{ GPU: unknown }>('gpu.js', () => import('gpu.js'));
    expect(m).to.have.property('GPU');
  });
});
