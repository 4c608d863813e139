// Source emission for gpu.js kernels: exact integer index math in float32, unravelled strided views, kernel specs.

import type { StridedView } from '../geometry/strided.js';

/**
 * What the runtime needs to run one kernel: the gpu.js source (a JS function over flat arrays, the
 * last argument `p` holding runtime scalars when `params` is set), a cache key, and the output size.
 * `dynamic` kernels do not bake their output size into the source and are shared across sizes.
 */
export interface KernelSpec {
  /** Kernel family, for error messages: `gpu.<name>`. */
  readonly name: string;
  readonly key: string;
  readonly source: string;
  readonly outSize: number;
  readonly dynamic: boolean;
  /**
   * Outputs per invocation (default 1): a kernel returning Array(2)/Array(3)/Array(4) writes that many
   * consecutive elements, so it runs outSize / components invocations.
   */
  readonly components?: 1 | 2 | 3 | 4;
  /** A hand-written WGSL shader (wgsl.ts) run instead of `source`, on the same device and bindings. */
  readonly wgsl?: string;
  /** Invocations of a WGSL kernel (default outSize / components). */
  readonly threads?: number;
  /** Invocations per workgroup of a WGSL kernel (default 64, gpu.js's). */
  readonly workgroup?: number;
}

/** Largest element count whose indices float32 represents exactly (gpu.js index math is float). */
export const MAX_EXACT_INDEX = 1 << 24;

/**
 * A kernel body under construction. gpu.js kernel variables are float32, so every integer
 * division goes through `divmod`, which corrects the rounded quotient and is exact for
 * integer operands below 2^24 even where the device's division is approximate.
 */
export class Emitter {
  private readonly lines: string[] = [];
  private n = 0;

  /** A fresh variable name. */
  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  line(s: string): this {
    this.lines.push(s);
    return this;
  }

  /** Declares `const name = expr` and returns the name. */
  let(prefix: string, expr: string): string {
    const v = this.fresh(prefix);
    this.lines.push(`const ${v} = ${expr};`);
    return v;
  }

  /** q = floor(a / d) and r = a - q*d in [0, d), for integer-valued `a` (|a| < 2^24) and a literal d >= 1. */
  divmod(a: string, d: number): [string, string] {
    if (d === 1) return [a, '0'];
    const q = this.fresh('q');
    const r0 = this.fresh('t');
    this.lines.push(
      `let ${q} = Math.floor(${a} / ${d});`,
      `const ${r0} = ${a} - ${q} * ${d};`,
      `if (${r0} < 0) { ${q} = ${q} - 1; }`,
      `if (${r0} >= ${d}) { ${q} = ${q} + 1; }`,
    );
    return [q, this.let('r', `${a} - ${q} * ${d}`)];
  }

  /** Row-major coordinates of flat index `idx` over `dims` (idx < prod(dims)); size-1 dims give '0'. */
  unravel(idx: string, dims: readonly number[]): string[] {
    const coords = new Array<string>(dims.length);
    let rest = idx;
    for (let d = dims.length - 1; d > 0; d--) {
      if (dims[d] === 1) {
        coords[d] = '0';
        continue;
      }
      const [q, r] = this.divmod(rest, dims[d]);
      coords[d] = r;
      rest = q;
    }
    if (dims.length > 0) coords[0] = dims[0] === 1 ? '0' : rest;
    return coords;
  }

  /** The element offset of iteration index `idx` in `view`, as a declared variable. */
  viewOffset(view: StridedView, idx: string): string {
    return this.offsetAt(view, this.unravel(idx, view.dims));
  }

  /** The element offset in `view` of coordinates already unravelled over `view.dims`. */
  offsetAt(view: StridedView, coords: readonly string[]): string {
    return this.let(
      'o',
      affine(
        view.offset,
        coords.map((c, d) => [c, view.strides[d]]),
      ),
    );
  }

  /** The kernel function source over the given argument names. */
  source(args: readonly string[], result: string): string {
    return `function (${args.join(', ')}) {\n${this.lines.join('\n')}\nreturn ${result};\n}`;
  }
}

/** `c + Σ coef * term` as source, skipping zero terms; terms are variable names or integer literals. */
export function affine(c: number, terms: readonly (readonly [string, number])[]): string {
  let out = '';
  for (const [v, k] of terms) {
    if (k === 0 || v === '0') continue;
    const mag = Math.abs(k) === 1 ? v : `${v} * ${Math.abs(k)}`;
    out += out === '' ? (k < 0 ? `-${mag}` : mag) : k < 0 ? ` - ${mag}` : ` + ${mag}`;
  }
  if (out === '') return String(c);
  if (c !== 0) out += c < 0 ? ` - ${-c}` : ` + ${c}`;
  return out;
}

/** A cache key fragment for a strided view. */
export function viewKey(v: StridedView): string {
  return `${v.dims.join('x')}/${v.strides.join(',')}+${v.offset}`;
}
