// A module's state dict to and from safetensors bytes, by name: missing, unexpected and mismatched keys are named errors, nothing half-loaded.

import { fmtShape } from '../../core/errors.js';
import { tensor } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import type { Module } from '../module.js';
import type { LoadResult } from '../module_state.js';
import { decodeSafetensorsHost, encodeSafetensors, type DecodeSafetensorsOptions } from './safetensors.js';
import { SafetensorsError } from './safetensors_header.js';
import { sameShape } from '../../core/shape.js';

export interface LoadModelSafetensorsOptions extends Pick<DecodeSafetensorsOptions, 'integers' | 'unsupported'> {
  /**
   * true (default): the file must hold exactly the model's state-dict names. false: names the
   * other side lacks are returned (missingKeys, unexpectedKeys) and the rest is loaded.
   */
  strict?: boolean;
  /** Names the file in error messages. */
  source?: string;
}

/** The model's state dict (parameters and buffers by dotted name, in module order) as safetensors bytes. */
export function stateDictToSafetensors(model: Module, metadata?: Readonly<Record<string, string>>): Promise<Uint8Array> {
  return encodeSafetensors(model.stateDict(), metadata);
}

function listKeys(keys: readonly string[]): string {
  return keys.length <= 8 ? keys.join(', ') : `${keys.slice(0, 8).join(', ')} and ${keys.length - 8} more`;
}

/**
 * Loads safetensors bytes into `model` by state-dict name, in place (optimizers keep their
 * tensors). Every tensor's shape and dtype must match the model's (F16/BF16 files load into
 * float32 models). Each tensor is created directly on its parameter's backend. Every check runs
 * before anything is copied, so a failure leaves the model as it was.
 */
export function loadStateDictFromSafetensors(model: Module, bytes: Uint8Array, opts: LoadModelSafetensorsOptions = {}): LoadResult {
  const op = 'loadModelSafetensors';
  const source = opts.source ?? 'safetensors data';
  const strict = opts.strict ?? true;
  const { tensors } = decodeSafetensorsHost(bytes, opts, op, source);
  const own = model.stateDict();
  const missingKeys = Object.keys(own).filter((k) => !tensors.has(k));
  const unexpectedKeys = [...tensors.keys()].filter((k) => !(k in own));
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing keys: ${listKeys(missingKeys)}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${listKeys(unexpectedKeys)}`);
    throw new SafetensorsError(op, 'keys', `${source} does not match ${model.typeName}: ${parts.join('; ')}`);
  }
  const mismatched: string[] = [];
  for (const [k, dst] of Object.entries(own)) {
    const src = tensors.get(k);
    if (src !== undefined && (!sameShape(src.shape, dst.shape) || src.dtype !== dst.dtype)) {
      mismatched.push(`'${k}' is ${fmtShape(src.shape)} ${src.dtype} in the file but ${fmtShape(dst.shape)} ${dst.dtype} in the model`);
    }
  }
  if (mismatched.length > 0) throw new SafetensorsError(op, 'mismatch', `${source} does not match ${model.typeName}: ${listKeys(mismatched)}`);
  const made: Tensor[] = [];
  try {
    const sd: Record<string, Tensor> = {};
    for (const [k, dst] of Object.entries(own)) {
      const src = tensors.get(k);
      if (src === undefined) continue;
      const t = tensor(src.data, src.shape, { dtype: src.dtype, backend: dst.backend });
      made.push(t);
      sd[k] = t;
    }
    model.loadStateDict(sd, false);
  } finally {
    for (const t of made) t.dispose();
  }
  return { missingKeys, unexpectedKeys };
}
