// Registers the built-in backends with the engine: the cpu reference backend (the first default) now, wasm and gpu as factories initBackend starts on demand.

import { registerBackend, registerBackendFactory } from '../core/engine.js';
import { cpuBackend } from './cpu/backend.js';

registerBackend(cpuBackend);
// Loaded only when started, so importing the package does not load the WebAssembly or WebGPU modules.
registerBackendFactory('wasm', async ({ threads }) => (await import('./wasm/backend.js')).createWasmBackend({ threads }));
registerBackendFactory('gpu', async () => (await import('./gpu/device.js')).createGpuBackend());
