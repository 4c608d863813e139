// safetensors files on disk (Node; in the browser build these calls are named errors): save/load named tensors and model state dicts; the byte codec lives in safetensors.ts.

import { readFileRaw } from '../../core/platform/files.js';
import type { Tensor } from '../../core/tensor.js';
import { writeFileAtomic } from '../atomic_write.js';
import type { Module } from '../module.js';
import type { LoadResult } from '../module_state.js';
import { decodeSafetensorsHost, encodeSafetensors, hostToTensors, type DecodeSafetensorsOptions, type NamedTensors } from './safetensors.js';
import { SafetensorsError } from './safetensors_header.js';
import { loadStateDictFromSafetensors, stateDictToSafetensors, type LoadModelSafetensorsOptions } from './safetensors_model.js';

function readBytes(op: string, file: string): Uint8Array {
  try {
    return readFileRaw(file);
  } catch (e) {
    throw new SafetensorsError(op, 'argument', `cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * Writes tensors to a safetensors file (see encodeSafetensors for the layout), atomically: on
 * failure `file` keeps its previous contents. Works for tensors on any backend. Returns the size.
 */
export async function saveSafetensors(file: string, tensors: NamedTensors, metadata?: Readonly<Record<string, string>>): Promise<{ bytes: number }> {
  const bytes = await encodeSafetensors(tensors, metadata);
  writeFileAtomic('saveSafetensors', file, [bytes]);
  return { bytes: bytes.byteLength };
}

/** Reads a safetensors file into tensors by name (file order); see decodeSafetensors. Malformed files throw a SafetensorsError naming the file. */
export function loadSafetensors(file: string, opts: DecodeSafetensorsOptions = {}): Map<string, Tensor> {
  const op = 'loadSafetensors';
  return hostToTensors(decodeSafetensorsHost(readBytes(op, file), opts, op, file).tensors, opts.backend);
}

/** Saves a model's state dict as a safetensors file (names as in stateDict()), atomically. */
export async function saveModelSafetensors(
  model: Module,
  file: string,
  opts: { metadata?: Readonly<Record<string, string>> } = {},
): Promise<{ bytes: number }> {
  const bytes = await stateDictToSafetensors(model, opts.metadata);
  writeFileAtomic('saveModelSafetensors', file, [bytes]);
  return { bytes: bytes.byteLength };
}

/** Loads a safetensors file into a model by state-dict name; see loadStateDictFromSafetensors. */
export function loadModelSafetensors(model: Module, file: string, opts: LoadModelSafetensorsOptions = {}): LoadResult {
  return loadStateDictFromSafetensors(model, readBytes('loadModelSafetensors', file), { source: file, ...opts });
}
