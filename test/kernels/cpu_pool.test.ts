// CPU max/avg pooling, forward and backward, against naive window loops and hand-computed cases.

import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { pool2dGeometry, type Pool2dOptions } from '../../kernels/geometry/pool.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, pick, randArray, randInt } from '../helpers/rng.js';

interface PoolParams {
  B: number;
  C: number;
  H: number;
  W: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pT: number;
  pB: number;
  pL: number;
  pR: number;
}

function outSize(p: PoolParams): [number, number] {
  return [Math.floor((p.H + p.pT + p.pB - p.kH) / p.sH) + 1, Math.floor((p.W + p.pL + p.pR - p.kW) / p.sW) + 1];
}

/** Visits each window's in-bounds cells as (window flat index, x flat index), windows and cells in row-major order. */
function forEachCell(p: PoolParams, visit: (yi: number, xi: number, first: boolean) => void, window?: (yi: number, count: number) => void): void {
  const [oH, oW] = outSize(p);
  for (let bc = 0; bc < p.B * p.C; bc++) {
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++) {
        const yi = (bc * oH + oh) * oW + ow;
        let count = 0;
        for (let kh = 0; kh < p.kH; kh++) {
          for (let kw = 0; kw < p.kW; kw++) {
            const ih = oh * p.sH - p.pT + kh;
            const iw = ow * p.sW - p.pL + kw;
            if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
            visit(yi, (bc * p.H + ih) * p.W + iw, count === 0);
            count++;
          }
        }
        window?.(yi, count);
      }
    }
  }
}

function naiveMax(x: ArrayLike<number>, p: PoolParams): { y: Float64Array; arg: Int32Array } {
  const [oH, oW] = outSize(p);
  const y = new Float64Array(p.B * p.C * oH * oW);
  const arg = new Int32Array(y.length);
  forEachCell(p, (yi, xi, first) => {
    if (first || x[xi] > y[yi]) {
      y[yi] = x[xi];
      arg[yi] = xi;
    }
  });
  return { y, arg };
}

function naiveAvg(x: ArrayLike<number> | null, dy: ArrayLike<number> | null, p: PoolParams, includePad: boolean): { y: Float64Array; dx: Float64Array } {
  const [oH, oW] = outSize(p);
  const y = new Float64Array(p.B * p.C * oH * oW);
  const dx = new Float64Array(p.B * p.C * p.H * p.W);
  const cells: number[][] = Array.from({ length: y.length }, () => []);
  forEachCell(
    p,
    (yi, xi) => {
      cells[yi].push(xi);
    },
    (yi, count) => {
      const div = includePad ? p.kH * p.kW : count;
      for (const xi of cells[yi]) {
        if (x) y[yi] += x[xi] / div;
        if (dy) dx[xi] += dy[yi] / div;
      }
    },
  );
  return { y, dx };
}

describe('cpu pooling vs naive window loops', () => {
  const be = new CpuBackend();
  const rng = mulberry32(777);
  for (let t = 0; t < 24; t++) {
    const kH = randInt(rng, 1, 3),
      kW = randInt(rng, 1, 3);
    const p: PoolParams = {
      B: randInt(rng, 1, 2),
      C: randInt(rng, 1, 3),
      H: randInt(rng, 3, 8),
      W: randInt(rng, 3, 8),
      kH,
      kW,
      sH: randInt(rng, 1, 3),
      sW: randInt(rng, 1, 3),
      pT: randInt(rng, 0, kH - 1),
      pB: randInt(rng, 0, kH - 1),
      pL: randInt(rng, 0, kW - 1),
      pR: randInt(rng, 0, kW - 1),
    };
    const dtype: DType = t % 2 === 0 ? 'float32' : 'float64';
    const includePad = rng() < 0.5;
    // Ties are likely with values drawn from a small integer set: max must route to the first one.
    const ties = t % 3 === 0;
    const opts: Pool2dOptions = { kernelSize: [kH, kW], stride: [p.sH, p.sW], padding: [p.pT, p.pB, p.pL, p.pR], countIncludePad: includePad };
    it(`x=[${p.B},${p.C},${p.H},${p.W}] k=[${kH},${kW}] s=[${p.sH},${p.sW}] p=[${p.pT},${p.pB},${p.pL},${p.pR}] includePad=${includePad}${ties ? ' ties' : ''} ${dtype}`, () => {
      const g = pool2dGeometry('pool', [p.B, p.C, p.H, p.W], opts);
      const [oH, oW] = outSize(p);
      expect([g.outH, g.outW]).to.deep.equal([oH, oW]);
      const n = p.B * p.C * p.H * p.W;
      const x = ties ? (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n)).map(() => pick(rng, [-1, 0, 2])) : randArray(rng, n, dtype);
      const dy = randArray(rng, p.B * p.C * oH * oW, dtype);
      const tol = dtype === 'float32' ? 1e-6 : 1e-14;
      const { y, arg } = naiveMax(x, p);
      expectClose(be.readSync(be.maxPool2d(be.fromArray(x), g)), y, 0, 'maxPool');
      const dxMax = new Float64Array(n);
      arg.forEach((xi, yi) => {
        dxMax[xi] += dy[yi];
      });
      expectClose(be.readSync(be.maxPool2dBackward(be.fromArray(x), be.fromArray(dy), g)), dxMax, tol, 'maxPool backward');
      expectClose(be.readSync(be.avgPool2d(be.fromArray(x), g)), naiveAvg(x, null, p, includePad).y, tol, 'avgPool');
      expectClose(be.readSync(be.avgPool2dBackward(be.fromArray(dy), g)), naiveAvg(null, dy, p, includePad).dx, tol, 'avgPool backward');
    });
  }
});

describe('cpu pooling hand-computed cases', () => {
  const be = new CpuBackend();
  const x4 = new Float64Array(Array.from({ length: 16 }, (_, i) => i + 1)); // [[1..4],[5..8],[9..12],[13..16]]
  it('x=[1,1,4,4] k=2 s=2: max = [6,8,14,16], avg = [3.5,5.5,11.5,13.5]', () => {
    const g = pool2dGeometry('pool', [1, 1, 4, 4], { kernelSize: 2 });
    expect(Array.from(be.readSync(be.maxPool2d(be.fromArray(x4), g)))).to.deep.equal([6, 8, 14, 16]);
    expect(Array.from(be.readSync(be.avgPool2d(be.fromArray(x4), g)))).to.deep.equal([3.5, 5.5, 11.5, 13.5]);
  });
  it('x=[1,1,2,2] all negative, k=2 s=1 p=1: padded cells never win the max', () => {
    // x = [[-1,-2],[-3,-4]]; the 3x3 output windows see 1, 2 or 4 real cells.
    const x = new Float64Array([-1, -2, -3, -4]);
    const g = pool2dGeometry('pool', [1, 1, 2, 2], { kernelSize: 2, stride: 1, padding: 1 });
    expect(Array.from(be.readSync(be.maxPool2d(be.fromArray(x), g)))).to.deep.equal([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
  });
  it('x=[1,1,2,2] k=2 s=1 p=1: avg divides by 4 with countIncludePad, by the in-bounds count without', () => {
    const x = new Float64Array([-1, -2, -3, -4]);
    const gi = pool2dGeometry('pool', [1, 1, 2, 2], { kernelSize: 2, stride: 1, padding: 1, countIncludePad: true });
    // corner windows hold one cell, edge windows two, the centre all four (sum -10).
    expect(Array.from(be.readSync(be.avgPool2d(be.fromArray(x), gi)))).to.deep.equal([-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1]);
    const ge = pool2dGeometry('pool', [1, 1, 2, 2], { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false });
    expect(Array.from(be.readSync(be.avgPool2d(be.fromArray(x), ge)))).to.deep.equal([-1, -1.5, -2, -2, -2.5, -3, -3, -3.5, -4]);
  });
  it('x=[1,1,2,2] of equal values k=2: max backward routes dy to the first maximum only', () => {
    const g = pool2dGeometry('pool', [1, 1, 2, 2], { kernelSize: 2 });
    const dx = be.readSync(be.maxPool2dBackward(be.fromArray(new Float64Array([1, 1, 1, 1])), be.fromArray(new Float64Array([5])), g));
    expect(Array.from(dx)).to.deep.equal([5, 0, 0, 0]);
  });
  it('x=[1,1,3,3] k=2 s=1: overlapping windows sum their dy into a shared maximum', () => {
    // The centre (9) is the max of all four windows.
    const x = new Float64Array([1, 2, 3, 4, 9, 5, 6, 7, 8]);
    const g = pool2dGeometry('pool', [1, 1, 3, 3], { kernelSize: 2, stride: 1 });
    const dx = be.readSync(be.maxPool2dBackward(be.fromArray(x), be.fromArray(new Float64Array([1, 2, 3, 4])), g));
    expect(Array.from(dx)).to.deep.equal([0, 0, 0, 0, 10, 0, 0, 0, 0]);
  });
  it('rejects x float32 with dy float64 in maxPool2dBackward x=[1,1,2,2]', () => {
    const g = pool2dGeometry('pool', [1, 1, 2, 2], { kernelSize: 2 });
    expect(() => be.maxPool2dBackward(be.fromArray(new Float32Array(4)), be.fromArray(new Float64Array(1)), g)).to.throw(/maxPool2dBackward.*float32.*float64/);
  });
});
