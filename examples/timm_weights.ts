// Weights in and out: a CondConv MobileNetV2 saved as safetensors by name, and its CondConv blocks in timm's CondConvResidual names and back.
import * as path from 'node:path';
import * as cg from '../index.js';

export async function timmWeights(dir: string, log: (s: string) => void = console.log): Promise<{ modelDiff: number; blockDiff: number; timmNames: string[] }> {
  const opts = { experts: 4, convert: 'last' as const }; // the last stage (blocks 3 and 4) is CondConv
  const model = cg.createModel('mobilenet-v2', { ...opts, seed: 1 }).eval();
  const x = cg.randn([2, 1, 28, 28], { seed: 9 });

  // 1. The whole model by state-dict name, into a fresh copy.
  const file = path.join(dir, 'model.safetensors');
  await cg.saveModelSafetensors(model, file, { metadata: { model: 'mobilenet-v2', experts: '4' } });
  const copy = cg.createModel('mobilenet-v2', { ...opts, seed: 2 }).eval();
  cg.loadModelSafetensors(copy, file); // strict: every name must match
  const modelDiff = maxAbsDiff(model.forward(x), copy.forward(x));
  log(`model.safetensors: ${Object.keys(model.stateDict()).length} tensors, outputs differ by ${modelDiff}`);

  // 2. The CondConv blocks as two timm CondConvResidual blocks (24 → 48 stride 2, then 48 → 48).
  const mapping = [
    ['blocks.3', 'blocks.0'],
    ['blocks.4', 'blocks.1'],
  ] as const;
  const timmFile = path.join(dir, 'timm_blocks.safetensors');
  await cg.saveSafetensors(timmFile, cg.toTimmState(model, mapping));

  // 3. Back from timm's names (PyTorch also writes BatchNorm's num_batches_tracked as I64: skip it).
  const fresh = cg.createModel('mobilenet-v2', { ...opts, seed: 3 }).eval();
  const timmState = cg.loadSafetensors(timmFile, { integers: 'skip' });
  cg.loadTimmState(fresh, timmState, mapping); // strict: every block tensor present, nothing left over
  const h = cg.randn([2, 24, 14, 14], { seed: 10 });
  const blockDiff = maxAbsDiff(model.getSubmodule('blocks.3').forward(h), fresh.getSubmodule('blocks.3').forward(h));
  log(`timm_blocks.safetensors: ${[...timmState.keys()].slice(0, 3).join(', ')}, …; block outputs differ by ${blockDiff}`);
  return { modelDiff, blockDiff, timmNames: [...timmState.keys()] };
}

function maxAbsDiff(a: cg.Tensor, b: cg.Tensor): number {
  const x = a.dataSync(),
    y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
