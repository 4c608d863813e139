// Bench: the gpu backend's per-op CPU-side overhead: a chain of tiny adds through condgrad against raw Dawn dispatches of the same WGSL, interleaved.
// Run: npx tsx bench/gpu_overhead.ts [--ops 400] [--reps 11]   (on llvmpipe these are CPU figures, not GPU figures)
//
// Both chains run `y = y + x` on 16 float32 elements `ops` times on the same Dawn device and read y once at the end.
// condgrad: GpuBackend.binary (+ dispose of the previous y). raw: the WGSL gpu.js generated for that kernel, a fresh
// output buffer and bind group per op, one command buffer and submit per op, the previous buffer destroyed: the least
// a dispatch costs through Dawn. 'raw, one submit' records all ops into one compute pass: the floor batching reaches.

import { parseArgs } from 'node:util';
import { createGpuBackend } from '../kernels/gpu/device.js';
import { measureOverhead } from './gpu_check/overhead.js';

const { values: args } = parseArgs({ options: { ops: { type: 'string', default: '400' }, reps: { type: 'string', default: '11' } } });
const gpu = await createGpuBackend();
const r = await measureOverhead(gpu, Number(args.ops), Number(args.reps));
const a = gpu.adapterInfo;
const soft = /llvmpipe|swiftshader|softpipe/i.test(`${a.name} ${a.description}`);
console.log(`# gpu per-op overhead: ${r.ops} chained adds of 16 float32, one read at the end; median of ${r.reps} interleaved reps`);
console.log(
  `adapter: ${a.name} (${a.description}), dawn backend ${a.backendType}, ${a.featureLevel}${soft ? ' (a CPU rasteriser: these are CPU figures, not GPU figures)' : ''}\n`,
);
console.log('| path | µs per op (median) | condgrad minus this (median of per-rep differences) |');
console.log('|---|---|---|');
console.log(`| condgrad gpu backend | ${r.usPerOp.condgrad.toFixed(1)} | |`);
console.log(`| raw Dawn, one submit per op | ${r.usPerOp.raw.toFixed(1)} | ${r.minus.raw.toFixed(1)} |`);
console.log(`| raw Dawn, all ops in one submit | ${r.usPerOp.rawOneSubmit.toFixed(1)} | ${r.minus.rawOneSubmit.toFixed(1)} |`);
console.log(`\nJSON ${JSON.stringify({ adapter: a, ...r })}`);
await gpu.destroy();
