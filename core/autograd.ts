// Reverse-mode autodiff: walks the tape in reverse topological order and accumulates gradients.

import { CondgradError, fmtShape } from './errors.js';
import { noGrad } from './engine.js';
import { Tensor } from './tensor.js';
import { binaryGeometry } from '../kernels/geometry/broadcast.js';
import { allocArray } from './dtype.js';

function addTensors(a: Tensor, b: Tensor): Tensor {
  const g = binaryGeometry('backward', a.shape, b.shape);
  return new Tensor(a.backend.binary(a.storage, b.storage, 'add', g), a.shape, a.backend);
}

/** Inputs before outputs, over every node reachable from root that requires grad. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
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
 * Backpropagates from `root`. `grad` defaults to 1 for a one-element root. Leaf tensors with
 * requiresGrad accumulate into `.grad`; the tape is kept, so backward can run again.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new CondgradError('backward', `tensor ${fmtShape(root.shape)} does not require grad (no input had requiresGrad, or it was made under noGrad)`);
  let seed = grad;
  if (seed === undefined) {
    if (root.size !== 1) throw new CondgradError('backward', `grad must be given for a non-scalar root of shape ${fmtShape(root.shape)}`);
    const one = allocArray(root.dtype, 1);
    one[0] = 1;
    seed = new Tensor(root.backend.fromArray(one), root.shape, root.backend);
  } else if (fmtShape(seed.shape) !== fmtShape(root.shape) || seed.dtype !== root.dtype || seed.backend !== root.backend) {
    throw new CondgradError('backward', `grad ${fmtShape(seed.shape)} ${seed.dtype} does not match root ${fmtShape(root.shape)} ${root.dtype}`);
  }
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      if (t.node === null) {
        let leafGrad = g.gradOwner !== null || g === seed ? g.detach() : g;
        if (t.grad !== null) leafGrad = addTensors(t.grad, leafGrad);
        leafGrad.gradOwner = t;
        t.grad = leafGrad;
        continue;
      }
      const inputGrads = t.node.backward(g);
      t.node.inputs.forEach((x, j) => {
        const gx = inputGrads[j];
        if (!x.requiresGrad || gx === null || gx === undefined) return;
        if (fmtShape(gx.shape) !== fmtShape(x.shape)) {
          throw new CondgradError(t.node!.opName, `backward produced a gradient of shape ${fmtShape(gx.shape)} for input ${j} of shape ${fmtShape(x.shape)}`);
        }
        const prev = grads.get(x);
        grads.set(x, prev === undefined ? gx : addTensors(prev, gx));
      });
    }
  });
}
