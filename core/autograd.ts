// Reverse-mode autodiff: walks the tape in reverse topological order and accumulates gradients.
// Written against the small structural interface below, so this file does not import the Tensor class.

import { CondgradError, fmtShape } from './errors.js';
import { noGrad } from './engine.js';
import { sameShape } from './shape.js';

/** How a tensor was made: the op, its inputs and what its backward needs. */
export interface TapeNodeOf<T> {
  readonly opName: string;
  readonly inputs: readonly T[];
  /** Gradients for each input (null where none flows), given the output's gradient. */
  readonly backward: (dy: T) => readonly (T | null)[];
  /** The tensors whose data backward reads, and their versions when the node was recorded. */
  readonly saved: readonly T[];
  readonly savedVersions: readonly number[];
}

/** What the backward pass reads and writes on a tensor (the Tensor class implements it). */
export interface TapeTensor<T extends TapeTensor<T>> {
  readonly id: number;
  readonly name?: string;
  /** Bumped by every in-place write of the data. */
  readonly version: number;
  readonly shape: readonly number[];
  readonly requiresGrad: boolean;
  readonly node: TapeNodeOf<T> | null;
  grad: T | null;
  gradOwner: T | null;
  detach(): T;
  dispose(): void;
}

/** Throws if a tensor the node's backward reads was written in place after the node was recorded. */
function checkVersions<T extends TapeTensor<T>>(node: TapeNodeOf<T>): void {
  const { saved, savedVersions } = node;
  for (let k = 0; k < saved.length; k++) {
    if (saved[k].version === savedVersions[k]) continue;
    const s = saved[k];
    const what = s.node === node ? 'its output' : `input ${node.inputs.indexOf(s)}`;
    throw new CondgradError(
      'backward',
      `${s.name !== undefined ? `'${s.name}' ` : ''}tensor #${s.id} ${fmtShape(s.shape)} (${what} of '${node.opName}') was modified in place ` +
        `(version ${savedVersions[k]} when '${node.opName}' ran, now ${s.version}: assign() or an optimizer step) after the forward pass; ` +
        `its gradient would be computed from the new values. Run backward() before changing it, or compute on a copy (detach()).`,
    );
  }
}

/** Inputs before outputs, over every node reachable from root that requires grad. */
function topoOrder<T extends TapeTensor<T>>(root: T): T[] {
  const order: T[] = [];
  const seen = new Set<T>();
  const stack: [T, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/** Gradients a backward returned in a broadcastable shape (see broadcastGrad). */
const broadcastGrads = new WeakSet<object>();

/**
 * Marks `g`, a gradient a backward returns, as standing for its broadcast to the input's shape (same
 * rank, 1 on the broadcast dims): backprop adds it to the input's other gradients with a
 * broadcasting add, and materialises the broadcast only when it is the whole gradient (a
 * reduction's backward then costs no activation-sized copy where the input also feeds other ops).
 */
export function broadcastGrad<T extends object>(g: T): T {
  broadcastGrads.add(g);
  return g;
}

/** Whether `g` may stand for a gradient of `shape`: a marked broadcast of it, or exactly its shape. */
function fits(g: { readonly shape: readonly number[] }, shape: readonly number[]): boolean {
  if (sameShape(g.shape, shape)) return true;
  return broadcastGrads.has(g) && g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i] || d === 1);
}

/**
 * Backpropagates `seed` (the gradient of `root`, already checked against it) through the tape.
 * Leaf tensors with requiresGrad accumulate into `.grad` with `add` (which broadcasts); the tape is
 * kept, so backward can run again. `expandTo` materialises a broadcast gradient (broadcastGrad)
 * before a node or a leaf takes it. Runs with gradient recording off: the gradients are not taped.
 *
 * A gradient made during this pass (id ≥ firstFresh) is freed as soon as nothing needs it any more:
 * once its node's backward has run, once it is summed into another, or when a backward returns it
 * for an input that takes no gradient. So the pass holds the gradients of the tape's frontier, not of
 * every tensor on it. Never freed: the seed, a leaf's .grad, a tensor older than the pass (a
 * backward may return one it saved), one that another pending gradient still is (a backward may
 * return one tensor for several inputs). A backward must not keep its dy or what it returns.
 */
export function backpropagate<T extends TapeTensor<T>>(
  root: T,
  seed: T,
  add: (a: T, b: T) => T,
  expandTo: (g: T, shape: readonly number[]) => T,
  firstFresh = Infinity,
): void {
  const order = topoOrder(root);
  const full = (g: T, t: T): T => (sameShape(g.shape, t.shape) ? g : expandTo(g, t.shape));
  const grads = new Map<T, T>([[root, seed]]);
  // How many entries of `grads` each gradient is.
  const held = new Map<T, number>([[seed, 1]]);
  const hold = (g: T): void => void held.set(g, (held.get(g) ?? 0) + 1);
  const unhold = (g: T): void => {
    const n = (held.get(g) ?? 1) - 1;
    if (n > 0) held.set(g, n);
    else held.delete(g);
  };
  const release = (g: T): void => {
    if (g.id >= firstFresh && g !== seed && g.gradOwner === null && !held.has(g)) g.dispose();
  };
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const lazy = grads.get(t);
      if (lazy === undefined) continue;
      grads.delete(t);
      unhold(lazy);
      const g = full(lazy, t);
      if (g !== lazy) release(lazy);
      if (t.node === null) {
        const own = g.gradOwner !== null || g === seed ? g.detach() : g;
        const old = t.grad;
        let next = own;
        if (old !== null) {
          next = add(old, own);
          // The sum replaces the old gradient, which nothing else owns: free it now.
          if (old.gradOwner === t) old.dispose();
          if (own !== g) own.dispose();
        }
        next.gradOwner = t;
        t.grad = next;
        release(g);
        continue;
      }
      const node = t.node;
      checkVersions(node);
      const inputGrads = node.backward(g);
      node.inputs.forEach((x, j) => {
        const gx = inputGrads[j];
        if (!x.requiresGrad || gx === null || gx === undefined) return;
        if (!fits(gx, x.shape)) {
          throw new CondgradError(node.opName, `backward produced a gradient of shape ${fmtShape(gx.shape)} for input ${j} of shape ${fmtShape(x.shape)}`);
        }
        const prev = grads.get(x);
        if (prev === undefined) {
          grads.set(x, gx);
          hold(gx);
          return;
        }
        const sum = add(prev, gx);
        const s = sameShape(sum.shape, x.shape) ? sum : broadcastGrad(sum);
        grads.set(x, s);
        hold(s);
        unhold(prev);
        release(prev);
      });
      release(g);
      for (const gx of inputGrads) if (gx !== null && gx !== undefined) release(gx);
    }
  });
}
