// Reverse-mode autodiff: walks the tape in reverse topological order and accumulates gradients.
// Written against the small structural interface below, so this file does not import the Tensor class.

import { CondgradError, fmtShape } from './errors.js';
import { noGrad } from './engine.js';

/** How a tensor was made: the op, its inputs and what its backward needs. */
export interface TapeNodeOf<T> {
  readonly opName: string;
  readonly inputs: readonly T[];
  /** Gradients for each input (null where none flows), given the output's gradient. */
  readonly backward: (dy: T) => readonly (T | null)[];
}

/** What the backward pass reads and writes on a tensor (the Tensor class implements it). */
export interface TapeTensor<T extends TapeTensor<T>> {
  readonly shape: readonly number[];
  readonly requiresGrad: boolean;
  readonly node: TapeNodeOf<T> | null;
  grad: T | null;
  gradOwner: T | null;
  detach(): T;
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

/**
 * Backpropagates `seed` (the gradient of `root`, already checked against it) through the tape.
 * Leaf tensors with requiresGrad accumulate into `.grad` with `add`; the tape is kept, so backward
 * can run again. Runs with gradient recording off: the gradients themselves are not taped.
 */
export function backpropagate<T extends TapeTensor<T>>(root: T, seed: T, add: (a: T, b: T) => T): void {
  const order = topoOrder(root);
  const grads = new Map<T, T>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      if (t.node === null) {
        let leafGrad = g.gradOwner !== null || g === seed ? g.detach() : g;
        if (t.grad !== null) leafGrad = add(t.grad, leafGrad);
        leafGrad.gradOwner = t;
        t.grad = leafGrad;
        continue;
      }
      const node = t.node;
      const inputGrads = node.backward(g);
      node.inputs.forEach((x, j) => {
        const gx = inputGrads[j];
        if (!x.requiresGrad || gx === null || gx === undefined) return;
        if (fmtShape(gx.shape) !== fmtShape(x.shape)) {
          throw new CondgradError(node.opName, `backward produced a gradient of shape ${fmtShape(gx.shape)} for input ${j} of shape ${fmtShape(x.shape)}`);
        }
        const prev = grads.get(x);
        grads.set(x, prev === undefined ? gx : add(prev, gx));
      });
    }
  });
}
