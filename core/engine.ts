// Engine state: the registered backends, the current default backend and the grad-recording switch.

import { CondgradError } from './errors.js';
import type { AnyBackend, BackendName } from '../kernels/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';

const registry = new Map<BackendName, AnyBackend>([['cpu', cpuBackend]]);
let current: AnyBackend = cpuBackend;
let gradEnabled = true;

/** Makes a backend available under its name (replacing an earlier one of that name). */
export function registerBackend(b: AnyBackend): void {
  registry.set(b.name, b);
}

/** The backend registered under `name`, or the current default. */
export function getBackend(name?: BackendName): AnyBackend {
  if (name === undefined) return current;
  const b = registry.get(name);
  if (!b) {
    throw new CondgradError('getBackend', `backend '${name}' is not initialised (registered: ${[...registry.keys()].join(', ')}); call await initBackend('${name}') first`);
  }
  return b;
}

/** Sets the default backend for new tensors. */
export function setBackend(name: BackendName | AnyBackend): AnyBackend {
  current = typeof name === 'string' ? getBackend(name) : name;
  if (typeof name !== 'string') registry.set(name.name, name);
  return current;
}

export function listBackends(): BackendName[] {
  return [...registry.keys()];
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (no tape is built). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording set to `enabled`. */
export function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
