// Member discovery: which fields of a module are its parameters, buffers and submodules, in order.

import { Tensor } from '../core/tensor.js';

/** How a member was registered. */
export type MemberKind = 'param' | 'buffer' | 'module';

/** A module's own members (not its submodules'), each with its field name (array fields give `name.i`). */
export interface Members<M> {
  params: [string, Tensor][];
  buffers: [string, Tensor][];
  modules: [string, M][];
}

/**
 * The members of `self`: the registered names first (in registration order), then the other
 * fields in field order — Modules, non-empty arrays of Modules, and live leaf tensors that
 * require grad (parameters). Fields starting with `_` and `training` are never members.
 */
export function ownMembers<M>(self: object, registry: ReadonlyMap<string, MemberKind>, isModule: (v: unknown) => v is M): Members<M> {
  const out: Members<M> = { params: [], buffers: [], modules: [] };
  const fields = self as Record<string, unknown>;
  const addModules = (name: string, v: unknown): boolean => {
    if (isModule(v)) {
      out.modules.push([name, v]);
      return true;
    }
    if (Array.isArray(v) && v.length > 0 && v.every((m) => isModule(m))) {
      v.forEach((m: M, i) => out.modules.push([`${name}.${i}`, m]));
      return true;
    }
    return false;
  };
  for (const [name, kind] of registry) {
    const v = fields[name];
    if (v === null || v === undefined) continue;
    if (kind === 'param' && v instanceof Tensor) out.params.push([name, v]);
    else if (kind === 'buffer' && v instanceof Tensor) out.buffers.push([name, v]);
    else if (kind === 'module') addModules(name, v);
  }
  for (const name of Object.keys(self)) {
    if (registry.has(name) || name.startsWith('_') || name === 'training') continue;
    const v = fields[name];
    if (addModules(name, v)) continue;
    if (v instanceof Tensor && v.node === null && v.requiresGrad && !v.isDisposed) out.params.push([name, v]);
  }
  return out;
}
