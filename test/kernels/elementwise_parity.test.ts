// Elementwise parity: unary, unary backward and broadcast binary kernels of every backend against the cpu reference on seeded random inputs.

import '../../kernels/register.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { BINARY_OPS, type BinaryOp, type UnaryOp } from '../../kernels/elementwise.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import { sizeOf } from '../../core/shape.js';
import { unaryCases } from '../helpers/elementwise.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectRel } from '../helpers/gpu.js';
import { mulberry32, pick, randInt } from '../helpers/rng.js';

// Float32 backends against the float64 reference (cpu_elementwise.test.ts checks the cpu backend against the scalar definitions).
const RTOL = 1e-4;
const ATOL = 1e-6;

const UNARY: readonly UnaryOp[] = unaryCases({
  clamp: [{ min: -0.5, max: 1.25 }],
  powScalar: [{ exponent: 3 }, { exponent: 2 }, { exponent: -1 }, { exponent: 0.5 }, { exponent: 0 }],
  affine: [{ scale: -1.5, shift: 0.25 }],
});

/** Float32 inputs in the op's domain: positive for log/sqrt and fractional powers, else [-8, 8] with exact ties. */
function unaryInput(rng: () => number, op: UnaryOp, n: number): Float32Array {
  const positive = op.name === 'log' || op.name === 'sqrt' || (op.name === 'powScalar' && !Number.isInteger(op.exponent));
  const nonzero = op.name === 'powScalar' && op.exponent < 0;
  return Float32Array.from({ length: n }, () => {
    if (rng() < 0.1) return pick(rng, positive ? [1, 2, 6] : [0, 1, -1, 6, -0.5, 1.25]) || (nonzero ? 1 : 0);
    const v = positive ? 0.05 + 4 * rng() : (rng() * 2 - 1) * 8;
    return nonzero && Math.abs(v) < 0.1 ? 0.5 : v;
  });
}

function opLabel(op: UnaryOp): string {
  const extra = Object.entries(op)
    .filter(([k]) => k !== 'name')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return extra ? `${op.name}(${extra})` : op.name;
}

/** A random broadcast pair: shapes of rank <= 4 where each operand may drop leading dims or hold 1s. */
function broadcastPair(rng: () => number): [number[], number[]] {
  const rank = randInt(rng, 1, 4);
  const out = Array.from({ length: rank }, () => randInt(rng, 1, 5));
  const side = (): number[] => {
    const drop = randInt(rng, 0, rank - 1);
    return out.slice(drop).map((d) => (rng() < 0.35 ? 1 : d));
  };
  return rng() < 0.2 ? [out, out.slice()] : [side(), rng() < 0.5 ? out.slice() : side()];
}

function binaryInputs(rng: () => number, op: BinaryOp, na: number, nb: number): [Float32Array, Float32Array] {
  const ties = op === 'eq' || op === 'gt' || op === 'maximum' || op === 'minimum';
  const intPow = op === 'pow' && rng() < 0.5;
  const a = Float32Array.from({ length: na }, () => (ties ? randInt(rng, -1, 2) : op === 'pow' && !intPow ? 0.1 + 2 * rng() : rng() * 4 - 2));
  const b = Float32Array.from({ length: nb }, () => {
    if (ties) return randInt(rng, -1, 2);
    if (intPow) return randInt(rng, -3, 3);
    if (op === 'div') return (rng() < 0.5 ? -1 : 1) * (0.5 + rng() * 2);
    return rng() * 4 - 2;
  });
  return [a, b];
}

forEachBackend((tb) => {
  if (tb.name === 'cpu') return;
  const be = () => tb.backend;
  describe('unary kernels vs the cpu reference', () => {
    const rng = mulberry32(101);
    for (let c = 0; c < 2 * UNARY.length; c++) {
      const op = UNARY[c % UNARY.length];
      const n = randInt(rng, 1, 300);
      const x = unaryInput(rng, op, n);
      it(`${opLabel(op)} x=[${n}]`, async () => {
        const want = cpuBackend.readSync(cpuBackend.unary(cpuBackend.fromArray(Float64Array.from(x)), op));
        const g = be();
        const xs = g.fromArray(x);
        const y = g.unary(xs, op);
        expectRel(await g.read(y), want, RTOL, ATOL, opLabel(op));
        g.dispose(xs);
        g.dispose(y);
      });
    }
  });

  describe('unaryBackward kernels vs the cpu reference', () => {
    const rng = mulberry32(202);
    for (let c = 0; c < 2 * UNARY.length; c++) {
      const op = UNARY[c % UNARY.length];
      const n = randInt(rng, 1, 300);
      const x = unaryInput(rng, op, n);
      const dy = Float32Array.from({ length: n }, () => rng() * 2 - 1);
      it(`d ${opLabel(op)} x=[${n}]`, async () => {
        const y = Float32Array.from(cpuBackend.readSync(cpuBackend.unary(cpuBackend.fromArray(Float64Array.from(x)), op)));
        const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));
        const want = cpuBackend.readSync(cpuBackend.unaryBackward(c64(x), c64(y), c64(dy), op));
        const g = be();
        const [xs, ys, dys] = [g.fromArray(x), g.fromArray(y), g.fromArray(dy)];
        const dx = g.unaryBackward(xs, ys, dys, op);
        expectRel(await g.read(dx), want, RTOL, ATOL, `d ${opLabel(op)}`);
        [xs, ys, dys, dx].forEach((s) => g.dispose(s));
      });
    }
  });

  describe('binary kernels with broadcasting vs the cpu reference', () => {
    const rng = mulberry32(303);
    const ops: readonly BinaryOp[] = BINARY_OPS;
    for (let c = 0; c < 45; c++) {
      const op = ops[c % ops.length];
      const [sa, sb] = broadcastPair(rng);
      const [a, b] = binaryInputs(rng, op, sizeOf(sa), sizeOf(sb));
      it(`${op} a=[${sa}] b=[${sb}]`, async () => {
        const geo = binaryGeometry(op, sa, sb);
        const want = cpuBackend.readSync(cpuBackend.binary(cpuBackend.fromArray(Float64Array.from(a)), cpuBackend.fromArray(Float64Array.from(b)), op, geo));
        const g = be();
        const [as, bs] = [g.fromArray(a), g.fromArray(b)];
        const out = g.binary(as, bs, op, geo);
        expectRel(await g.read(out), want, RTOL, ATOL, `${op} [${geo.outShape}]`);
        [as, bs, out].forEach((s) => g.dispose(s));
      });
    }

    it('chains 3 kernels without reading in between: ((a + b) * a) - b, a=[4,5] b=[5]', async () => {
      const a = Float32Array.from({ length: 20 }, (_, i) => i / 4 - 2);
      const b = Float32Array.from({ length: 5 }, (_, i) => i - 1.5);
      const g = be();
      const ga = binaryGeometry('add', [4, 5], [5]);
      const [as, bs] = [g.fromArray(a), g.fromArray(b)];
      const s1 = g.binary(as, bs, 'add', ga);
      const s2 = g.binary(s1, as, 'mul', binaryGeometry('mul', [4, 5], [4, 5]));
      const s3 = g.binary(s2, bs, 'sub', ga);
      const want = Array.from(a, (v, i) => (v + b[i % 5]) * v - b[i % 5]);
      expectRel(await g.read(s3), want, RTOL, ATOL);
      [as, bs, s1, s2, s3].forEach((s) => g.dispose(s));
    });
  });
});
