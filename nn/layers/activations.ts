// Activation layers: ReLU, ReLU6, Sigmoid, Tanh and SiLU, each a parameter-free Module around its op.

import type { Tensor } from '../../core/tensor.js';
import { relu, relu6, sigmoid, silu, tanh } from '../../ops/activations.js';
import { Module } from '../module.js';

/** max(x, 0). Any shape. */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** min(max(x, 0), 6). Any shape. */
export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** 1 / (1 + e^−x). Any shape. */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x). Any shape. */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** x · sigmoid(x) (swish). Any shape. */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return silu(x);
  }
}
