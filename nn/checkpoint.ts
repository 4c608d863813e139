// Checkpoints on disk: saveCheckpoint writes the checksummed bytes of checkpoint_codec atomically; readCheckpoint and loadCheckpoint verify and restore them.

import { CondgradError, fmtShape } from '../core/errors.js';
import { tensor } from '../core/creation.js';
import { readFileBytes, writeFileAtomic } from '../core/platform/files.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointData, type LoadedCheckpoint } from './checkpoint_codec.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim/optimizer.js';
import { sameShape } from '../core/shape.js';

export {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  encodeCheckpoint,
  encodeCheckpointFrame,
  decodeCheckpoint,
  type CheckpointData,
  type LoadedCheckpoint,
  type TensorEntry,
} from './checkpoint_codec.js';

/**
 * Writes a checkpoint atomically: to a temp file in the same directory, fsync, then rename over
 * `file` (then fsync of the directory). If anything fails, `file` keeps its previous contents and
 * the temp file is removed. Config, extra and optimizer meta must be plain JSON (a cycle, a
 * BigInt, NaN, a function or a class instance is a CondgradError naming the field). Returns the
 * file size and checksum. (The browser build has no files:
 * there encodeCheckpoint gives the bytes.)
 */
export async function saveCheckpoint(file: string, data: CheckpointData): Promise<{ bytes: number; sha256: string }> {
  if (typeof file !== 'string' || file === '') throw new CondgradError('saveCheckpoint', `file must be a non-empty path, got ${String(file)}`);
  const { bytes, sha256 } = await encodeCheckpoint(data, 'saveCheckpoint');
  writeFileAtomic('saveCheckpoint', file, [bytes]);
  return { bytes: bytes.byteLength, sha256 };
}

/**
 * Reads and verifies a checkpoint (magic, version, sizes, checksum, the header's whole schema) from a file, or
 * from its bytes (a Uint8Array: the way in the browser); data stays on the host.
 */
export function readCheckpoint(file: string | Uint8Array): LoadedCheckpoint {
  if (typeof file !== 'string') return decodeCheckpoint(file, 'checkpoint bytes');
  return decodeCheckpoint(readFileBytes('loadCheckpoint', file), file);
}

/**
 * Restores a verified checkpoint into a model (and optimizer): every model tensor must be present
 * with the same shape and dtype, and no others; the optimizer state must fit the optimizer. All
 * of it is checked before anything is written, so a failed restore leaves the model and the
 * optimizer as they were.
 */
export function restoreCheckpoint(ck: LoadedCheckpoint, model: Module, optimizer?: Optimizer, file = 'checkpoint'): void {
  const op = 'loadCheckpoint';
  const own = new Map(Object.entries(model.stateDict()));
  const problems: string[] = [];
  for (const [k, t] of own) {
    const e = ck.tensors.get(`model.${k}`);
    if (e === undefined) problems.push(`missing '${k}' ${fmtShape(t.shape)}`);
    else if (!sameShape(e.shape, t.shape) || e.dtype !== t.dtype)
      problems.push(`'${k}' is ${fmtShape(e.shape)} ${e.dtype} in the file but ${fmtShape(t.shape)} ${t.dtype} in the model`);
  }
  for (const name of ck.tensors.keys()) {
    if (name.startsWith('model.') && !own.has(name.slice(6))) problems.push(`unexpected '${name.slice(6)}'`);
  }
  if (problems.length > 0)
    throw new CondgradError(
      op,
      `${file} does not match the model: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
    );
  if (optimizer !== undefined && ck.optimizerMeta === null) throw new CondgradError(op, `${file} holds no optimizer state`);
  const made: Tensor[] = [];
  const mk = (name: string, backend: AnyBackend | BackendName): Tensor => {
    const e = ck.tensors.get(name)!;
    const t = tensor(e.data, e.shape, { dtype: e.dtype, backend });
    made.push(t);
    return t;
  };
  try {
    const sd = Object.create(null) as Record<string, Tensor>;
    for (const [k, t] of own) sd[k] = mk(`model.${k}`, t.backend);
    if (optimizer !== undefined) {
      const tensors = Object.create(null) as Record<string, Tensor>;
      for (const name of ck.tensors.keys()) {
        if (!name.startsWith('optimizer.')) continue;
        const i = Number(name.slice(10).split('.')[0]);
        tensors[name.slice(10)] = mk(name, optimizer.params[i]?.backend ?? 'cpu');
      }
      // loadStateDict checks everything before it changes anything; the model's tensors were
      // all checked above, so once the optimizer is loaded the model load cannot fail.
      optimizer.loadStateDict({ meta: ck.optimizerMeta!, tensors });
    }
    model.loadStateDict(sd, true);
  } catch (e) {
    if (e instanceof CondgradError) throw new CondgradError(op, `${file}: ${e.message}`);
    throw e;
  } finally {
    for (const t of made) t.dispose();
  }
}

/** readCheckpoint + restoreCheckpoint: verifies `file` (a path, or the bytes) and loads it into the model (and optimizer). */
export function loadCheckpoint(file: string | Uint8Array, model: Module, optimizer?: Optimizer): LoadedCheckpoint {
  const ck = readCheckpoint(file);
  restoreCheckpoint(ck, model, optimizer, typeof file === 'string' ? file : 'checkpoint bytes');
  return ck;
}
