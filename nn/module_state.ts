// A module's state: loading state dicts (checked, all or nothing) and moving or casting every parameter and buffer.

import { CondgradError, fmtShape } from '../core/errors.js';
import { getBackend, noGrad } from '../core/engine.js';
import { isDType, type DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { cast } from '../ops/shape.js';
import { sameShape } from '../core/shape.js';

/** The result of a non-strict loadStateDict. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** What these functions use of a module (Module implements it; structural, so this file does not import the class). */
export interface StatefulModule {
  readonly typeName: string;
  /** Parameters and buffers by dotted name, each tensor once. */
  stateDict(): Record<string, Tensor>;
  /** Replaces every parameter and buffer field by convert(tensor). */
  replaceTensors(convert: (t: Tensor) => Tensor): unknown;
}

/** Module.loadStateDict: copies `sd` into the module's tensors in place, after every check passed. */
export function loadStateDictInto(m: StatefulModule, sd: Record<string, Tensor>, strict: boolean): LoadResult {
  if (sd === null || typeof sd !== 'object') throw new CondgradError('loadStateDict', `state dict must be an object of tensors, got ${String(sd)}`);
  const own = m.stateDict();
  const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(sd, k));
  const unexpectedKeys = Object.keys(sd).filter((k) => !Object.hasOwn(own, k));
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    throw new CondgradError('loadStateDict', `state dict does not match ${m.typeName}: ${parts.join('; ')}`);
  }
  const pairs: [Tensor, Tensor][] = [];
  for (const [key, dst] of Object.entries(own)) {
    if (!Object.hasOwn(sd, key)) continue;
    const src = sd[key];
    if (!(src instanceof Tensor)) throw new CondgradError('loadStateDict', `'${key}' must be a Tensor, got ${src === null ? 'null' : typeof src}`);
    if (!sameShape(src.shape, dst.shape) || src.dtype !== dst.dtype) {
      throw new CondgradError(
        'loadStateDict',
        `'${key}': state dict has ${fmtShape(src.shape)} ${src.dtype} but the model has ${fmtShape(dst.shape)} ${dst.dtype}`,
      );
    }
    pairs.push([dst, src]);
  }
  noGrad(() => {
    for (const [dst, src] of pairs) {
      const moved = src.backend === dst.backend ? src : src.to(dst.backend);
      dst.assign(moved.detach());
    }
  });
  return { missingKeys, unexpectedKeys };
}

/** Module.loadStateDictAsync: moves each tensor to its destination's backend with toAsync, then loads. */
export async function loadStateDictAsyncInto(m: StatefulModule, sd: Record<string, Tensor>, strict: boolean): Promise<LoadResult> {
  if (sd === null || typeof sd !== 'object') return loadStateDictInto(m, sd, strict);
  const own = m.stateDict();
  const moved: Record<string, Tensor> = { ...sd };
  const temps: Tensor[] = [];
  try {
    for (const [key, src] of Object.entries(sd)) {
      const dst = Object.hasOwn(own, key) ? own[key] : undefined;
      if (dst === undefined || !(src instanceof Tensor) || src.backend === dst.backend) continue;
      moved[key] = await src.toAsync(dst.backend);
      temps.push(moved[key]);
    }
    return loadStateDictInto(m, moved, strict);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** Module.to: every parameter and buffer moved to a backend or cast to a dtype (shared tensors stay shared). */
export function moveModule(m: StatefulModule, target: BackendName | AnyBackend | DType): void {
  const done = new Map<Tensor, Tensor>();
  m.replaceTensors((t) => {
    let c = done.get(t);
    if (c === undefined) {
      if (typeof target === 'string' && isDType(target)) {
        c = t.dtype === target ? t : noGrad(() => cast(t, target)).requiresGrad_(t.requiresGrad);
      } else {
        const b = typeof target === 'string' ? getBackend(target) : target;
        c = t.to(b);
        c.requiresGrad = t.requiresGrad;
      }
      done.set(t, c);
    }
    return c;
  });
}

/** Module.toAsync: every tensor read with toAsync first, then all replaced at once. */
export async function moveModuleAsync(m: StatefulModule, target: BackendName | AnyBackend | DType): Promise<void> {
  if (typeof target === 'string' && isDType(target)) {
    moveModule(m, target);
    return;
  }
  const b = typeof target === 'string' ? getBackend(target) : target;
  const done = new Map<Tensor, Tensor>();
  for (const t of Object.values(m.stateDict())) {
    const c = await t.toAsync(b);
    c.requiresGrad = t.requiresGrad;
    done.set(t, c);
  }
  m.replaceTensors((t) => done.get(t) ?? t);
}
