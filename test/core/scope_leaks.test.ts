// Memory ownership: leaf gradients go with their leaf, accumulation frees what it replaces, tidy() walks any structure and refuses async functions.

import '../../kernels/register.js';
import { expect } from 'chai';
import { ones, tensor } from '../../core/creation.js';
import { noGrad, withGrad } from '../../core/engine.js';
import { keep, tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectError, read } from '../helpers/tensors.js';

forEachBackend((tb) => {
  const on = { backend: tb.backend };
  const live = (): number | null => tb.backend.memory().liveBuffers;

  describe('leaf gradients and scopes', () => {
    it('a requiresGrad leaf made inside tidy(): its grad goes with it (1000 steps, live buffers flat)', function () {
      if (live() === null) this.skip(); // GC-managed storage: nothing to count
      const step = (): void =>
        tidy(() => {
          const w = ones([4], { ...on, requiresGrad: true });
          sum(mul(w, w)).backward();
        });
      step();
      const before = live();
      for (let i = 0; i < 1000; i++) step();
      expect(live()).to.equal(before);
    });

    it('gradients accumulated over 1000 backward() calls without zeroGrad: the old grad is freed, the sum is right', async function () {
      const w = tensor([1, 2, 3], undefined, { ...on, requiresGrad: true });
      const x = tensor([0.5, 0.25, 2], undefined, on);
      const step = (): void => tidy(() => sum(mul(w, x)).backward());
      step();
      const before = live();
      for (let i = 0; i < 999; i++) step();
      if (before !== null) expect(live()).to.equal(before);
      expect([...(await read(w.grad!))]).to.deep.equal([500, 250, 2000]);
      w.dispose();
      expect(w.grad, 'disposing a leaf frees its grad').to.equal(null);
    });

    it('a leaf from outside keeps its grad made inside tidy(); disposing the leaf frees it', function () {
      const w = ones([2], { ...on, requiresGrad: true });
      tidy(() => sum(mul(w, w)).backward());
      const g = w.grad!;
      expect(g.isDisposed).to.equal(false);
      w.dispose();
      expect(g.isDisposed).to.equal(true);
    });
  });

  describe('tidy() result structure', () => {
    it('a tensor nested 6 deep (arrays, objects, a Map, a Set) survives; a cycle is safe; the rest is freed', () => {
      let inner: Tensor | null = null;
      let tmp: Tensor | null = null;
      const out = tidy(() => {
        tmp = mul(ones([2], on), 2);
        inner = mul(ones([2], on), 3);
        const fromMap = mul(ones([1], on), 4);
        const fromSet = mul(ones([1], on), 5);
        const cyc: Record<string, unknown> = { deep: [[{ a: { b: [inner] } }]] };
        cyc.self = cyc;
        return { cyc, m: new Map([['k', fromMap]]), s: new Set([fromSet]), buf: new Float32Array(1e6) };
      });
      expect(inner!.isDisposed).to.equal(false);
      expect(tmp!.isDisposed).to.equal(true);
      expect((out.m.get('k') as Tensor).isDisposed).to.equal(false);
      expect([...out.s][0].isDisposed).to.equal(false);
    });
  });

  describe('tidy() / noGrad() with async functions and bad arguments', () => {
    it('tidy(async fn) raises a CondgradError saying to use a synchronous function; the tensors made before await stay usable', async () => {
      let a: Tensor | null = null;
      const pending: { finished?: Promise<number[]> } = {};
      expectError(
        () =>
          tidy(() => {
            pending.finished = (async () => {
              a = mul(ones([2], on), 3);
              await Promise.resolve();
              return [...(await read(mul(a, 2)))];
            })();
            return pending.finished;
          }),
        'tidy',
        'synchronous',
      );
      expect(await pending.finished).to.deep.equal([6, 6]);
      expect(a!.isDisposed).to.equal(false);
      expectError(() => tidy(async () => keep(ones([1], on))), 'tidy', 'Promise');
      expectError(() => tidy(() => ({ then: () => undefined })), 'tidy', 'synchronous');
    });

    it("tidy(42), noGrad(5), withGrad('yes', fn), noGrad(async fn) raise CondgradErrors naming the argument", async () => {
      expectError(() => tidy(42 as unknown as () => void), 'tidy', 'fn must be a function', 'number 42');
      expectError(() => noGrad(5 as unknown as () => void), 'noGrad', 'fn must be a function');
      expectError(() => withGrad('yes' as unknown as boolean, () => 1), 'withGrad', 'enabled', "'yes'");
      const p: Promise<void>[] = [];
      expectError(
        () =>
          noGrad(() => {
            const q = (async () => undefined)();
            p.push(q);
            return q;
          }),
        'noGrad',
        'Promise',
      );
      await Promise.all(p);
    });
  });
});
