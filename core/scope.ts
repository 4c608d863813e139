// Memory scopes: tidy() frees every tensor a function created except those it returns or keeps.

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
  kept.add(t);
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(result: unknown, out: Set<Scoped>, isTensor: (v: unknown) => v is Scoped, depth = 0): void {
  if (depth > 4 || result === null || typeof result !== 'object') return;
  if (isTensor(result)) {
    out.add(result);
    return;
  }
  if (Array.isArray(result)) for (const v of result) collect(v, out, isTensor, depth + 1);
  else for (const v of Object.values(result as Record<string, unknown>)) collect(v, out, isTensor, depth + 1);
}

/**
 * Runs fn and disposes every tensor created inside it, except the tensors it returns (also inside
 * arrays or plain objects), tensors passed to keep(), and leaf gradients of tensors created
 * outside the scope. Returned tensors move to the enclosing scope. Not for async functions.
 */
export function tidy<T>(fn: () => T, isTensor: (v: unknown) => v is Scoped = defaultIsTensor): T {
  const scope = new Set<Scoped>();
  scopes.push(scope);
  const survivors = new Set<Scoped>();
  try {
    const result = fn();
    collect(result, survivors, isTensor);
    return result;
  } finally {
    // Runs on a throw too: a failed step must not leak what it allocated.
    scopes.pop();
    for (const t of scope) {
      if (survivors.has(t) || kept.has(t)) continue;
      if (t.isGradOfOuter()) continue;
      t.dispose();
    }
    if (scopes.length > 0) for (const t of survivors) scopes[scopes.length - 1].add(t);
  }
}

/** A Tensor (marked by its `__isTensor` brand). */
function defaultIsTensor(v: unknown): v is Scoped {
  return typeof v === 'object' && v !== null && (v as { __isTensor?: boolean }).__isTensor === true;
}
