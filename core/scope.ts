// Memory scopes: tidy() frees every tensor a function created except those it returns or keeps.

import { CondgradError, describeValue } from './errors.js';

/** What a scope manages (the Tensor class implements it; structural, so this file does not import it). */
export interface Scoped {
  dispose(): void;
  /** True while this tensor is the `.grad` of a live tensor: tidy() leaves it alone. */
  isGradOfOuter(): boolean;
}

const scopes: Set<Scoped>[] = [];
const kept = new WeakSet<Scoped>();

/** Called by the Tensor constructor: records the tensor in the innermost open scope. */
export function track(t: Scoped): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

/** Exempts a tensor from the enclosing tidy() scopes. */
export function keep<T extends Scoped>(t: T): T {
  if (typeof t !== 'object' || t === null || (t as { __isTensor?: boolean }).__isTensor !== true)
    throw new CondgradError('keep', `t must be a Tensor, got ${describeValue(t)}`);
  kept.add(t);
  for (const s of scopes) s.delete(t);
  return t;
}

/**
 * Adds every tensor reachable from `result` to `out`: arrays, plain and class objects, Maps and
 * Sets at any depth (a `seen` set makes cycles safe). Tensors are not walked into, nor typed
 * arrays and buffers (they hold no tensors).
 */
function collect(result: unknown, out: Set<Scoped>, isTensor: (v: unknown) => v is Scoped): void {
  const seen = new Set<object>();
  const stack: unknown[] = [result];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (isTensor(v)) {
      out.add(v);
      continue;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer)) continue;
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
}

function isThenable(v: unknown): boolean {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs fn and disposes every tensor created inside it, except the tensors it returns (anywhere
 * inside returned arrays, objects, Maps or Sets), tensors passed to keep(), and leaf gradients
 * (a gradient goes when its leaf is disposed). Returned tensors move to the enclosing scope.
 *
 * fn must be synchronous: a Promise (or other thenable) result raises a CondgradError, and the
 * tensors fn made before its first await are handed to the enclosing scope instead of being
 * disposed under the still-running function.
 */
export function tidy<T>(fn: () => T, isTensor: (v: unknown) => v is Scoped = defaultIsTensor): T {
  if (typeof fn !== 'function') throw new CondgradError('tidy', `fn must be a function, got ${describeValue(fn)}`);
  const scope = new Set<Scoped>();
  scopes.push(scope);
  const survivors = new Set<Scoped>();
  let asyncResult = false;
  try {
    const result = fn();
    if (isThenable(result)) {
      asyncResult = true;
      throw new CondgradError(
        'tidy',
        'fn returned a Promise (an async function or a thenable): tidy() needs a synchronous function, ' +
          'since it frees tensors when fn returns. Call tidy() inside the async function around each synchronous step, or dispose tensors yourself.',
      );
    }
    collect(result, survivors, isTensor);
    return result;
  } finally {
    // Runs on a throw too: a failed step must not leak what it allocated.
    scopes.pop();
    if (asyncResult) {
      for (const t of scope) survivors.add(t);
    } else {
      for (const t of scope) {
        if (survivors.has(t) || kept.has(t)) continue;
        if (t.isGradOfOuter()) continue;
        t.dispose();
      }
    }
    if (scopes.length > 0) for (const t of survivors) scopes[scopes.length - 1].add(t);
  }
}

function defaultIsTensor(v: unknown): v is Scoped {
  return typeof v === 'object' && v !== null && (v as { __isTensor?: boolean }).__isTensor === true;
}
