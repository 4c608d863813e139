// Activation functions: relu, relu6, sigmoid, tanh and silu (swish).

import type { Tensor } from '../core/tensor.js';
import { unary } from './arithmetic.js';

export const relu = (x: Tensor): Tensor => unary(x, { name: 'relu' });
export const relu6 = (x: Tensor): Tensor => unary(x, { name: 'relu6' });
export const sigmoid = (x: Tensor): Tensor => unary(x, { name: 'sigmoid' });
export const tanh = (x: Tensor): Tensor => unary(x, { name: 'tanh' });
/** x · sigmoid(x), also called swish. */
export const silu = (x: Tensor): Tensor => unary(x, { name: 'silu' });
