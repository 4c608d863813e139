// Error types and argument validators: every message names the op, the argument and the shapes.

/** Raised for invalid arguments to an op: the message names the op, the argument and the shapes involved. */
export class CondgradError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'CondgradError';
    this.op = op;
  }
}

/** Formats a shape as `[2,3,4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless `v` is a finite integer (optionally within [min, max]). */
export function checkInt(op: string, arg: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new CondgradError(op, `${arg} must be an integer, got ${String(v)}`);
  }
  if (v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new CondgradError(op, `${arg} must be ${range}, got ${v}`);
  }
  return v;
}

/** Throws unless `v` is a finite number. */
export function checkFinite(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new CondgradError(op, `${arg} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/** Throws unless `shape` is an array of non-negative integers (positive where `positive`). */
export function checkShape(op: string, arg: string, shape: unknown, positive = true): readonly number[] {
  if (!Array.isArray(shape)) throw new CondgradError(op, `${arg} must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < (positive ? 1 : 0)) {
      throw new CondgradError(op, `${arg} must hold ${positive ? 'positive' : 'non-negative'} integer sizes, got ${fmtShape(shape as number[])}`);
    }
  }
  return shape as number[];
}

/** Array.isArray that keeps a readonly array's element type (the built-in narrows it to any[]). */
export function isList(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

/** A short description of a value for error messages: `null`, `number 5`, `the string 'no'`, `an object (Object)`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'object') return `an object (${(v as { constructor?: { name?: string } }).constructor?.name ?? 'no prototype'})`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return 'undefined';
}

/** Throws unless `v` is a boolean. */
export function checkBool(op: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new CondgradError(op, `${arg} must be true or false, got ${describeValue(v)}`);
  return v;
}

/** Throws unless `fn` is a function. */
export function checkFunction(op: string, arg: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new CondgradError(op, `${arg} must be a function, got ${describeValue(fn)}`);
}

/** An options argument: undefined gives {}, anything but a plain object throws. */
export function checkOptions<T extends object>(op: string, opts: T | undefined): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new CondgradError(op, `options must be an object, got ${describeValue(opts)}`);
  return opts;
}

/** Throws unless `v` is a live Tensor (checked by its brand, so this module needs no Tensor import). */
export function checkTensor(op: string, arg: string, v: unknown): void {
  if (typeof v !== 'object' || v === null || (v as { __isTensor?: unknown }).__isTensor !== true) {
    throw new CondgradError(op, `${arg} must be a Tensor, got ${describeValue(v)}`);
  }
  if ((v as { isDisposed: boolean }).isDisposed) throw new CondgradError(op, `${arg} ${fmtShape((v as { shape: number[] }).shape)} was disposed`);
}
