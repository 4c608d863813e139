// Checks that run the same code in Node and in the page (the browser test compares the two): a fixed-seed condConv2d forward and backward, and bad input.

type Cg = typeof import('../index.js');

/** A condConv2d problem, as plain arrays so that Node and the page start from the same numbers. */
export interface ParityInputs {
  x: number[];
  xShape: number[];
  experts: number[];
  expertsShape: number[];
  routing: number[];
  routingShape: number[];
  bias: number[];
  biasShape: number[];
  /** Upstream gradient of y. */
  dy: number[];
  opts: { stride?: number; padding?: number; path: 'fused' | 'moe' };
  backends: ('cpu' | 'wasm' | 'gpu')[];
}

/** y and the gradients of x, experts, routing and bias. */
export interface ParityResult {
  y: number[];
  dx: number[];
  dexperts: number[];
  drouting: number[];
  dbias: number[];
}

/** Seeded inputs (from condgrad's own generator) for a small CondConv layer with K = 3. */
export function parityInputs(cg: Cg, backends: ParityInputs['backends'], path: 'fused' | 'moe' = 'fused'): ParityInputs {
  const arr = (t: { dataSync(): ArrayLike<number> }): number[] => Array.from(t.dataSync());
  const [B, C, H, O, K] = [2, 3, 7, 4, 3];
  const x = cg.randn([B, C, H, H], { seed: 11 });
  const experts = cg.randn([K, O, C, 3, 3], { seed: 12 });
  const routing = cg.rand([B, K], { seed: 13 });
  const bias = cg.randn([K, O], { seed: 14 });
  const dy = cg.randn([B, O, H, H], { seed: 15 });
  return {
    x: arr(x),
    xShape: [...x.shape],
    experts: arr(experts),
    expertsShape: [...experts.shape],
    routing: arr(routing),
    routingShape: [...routing.shape],
    bias: arr(bias),
    biasShape: [...bias.shape],
    dy: arr(dy),
    opts: { padding: 1, path },
    backends,
  };
}

/** Runs condConv2d forward and backward on `backend` (float32). */
export async function condConvOn(cg: Cg, inp: ParityInputs, backend: 'cpu' | 'wasm' | 'gpu'): Promise<ParityResult> {
  const b = backend === 'cpu' ? cg.getBackend('cpu') : await cg.initBackend(backend);
  const t = (data: number[], shape: number[], requiresGrad = true) => cg.tensor(Float32Array.from(data), shape, { backend: b, requiresGrad });
  const x = t(inp.x, inp.xShape);
  const experts = t(inp.experts, inp.expertsShape);
  const routing = t(inp.routing, inp.routingShape);
  const bias = t(inp.bias, inp.biasShape);
  const y = cg.condConv2d(x, experts, routing, bias, inp.opts);
  y.backward(t(inp.dy, [...y.shape], false));
  const read = async (v: { data(): Promise<ArrayLike<number>> } | null): Promise<number[]> => (v === null ? [] : Array.from(await v.data()));
  const out = {
    y: await read(y),
    dx: await read(x.grad),
    dexperts: await read(experts.grad),
    drouting: await read(routing.grad),
    dbias: await read(bias.grad),
  };
  for (const v of [x, experts, routing, bias, y]) v.dispose();
  return out;
}

/** condConvOn for every backend in inp.backends; a backend that fails gives its error message. */
export async function parityAll(cg: Cg, inp: ParityInputs): Promise<Record<string, ParityResult | { error: string }>> {
  const out: Record<string, ParityResult | { error: string }> = {};
  for (const b of inp.backends) {
    try {
      out[b] = await condConvOn(cg, inp, b);
    } catch (e) {
      out[b] = { error: `${(e as Error).name}: ${(e as Error).message}` };
    }
  }
  return out;
}

/** Calls that must fail, each with a CondgradError; returns [label, error name, message]. */
export async function badInputCases(cg: Cg): Promise<[string, string, string][]> {
  const cases: [string, () => unknown][] = [
    ['condConv2d routing batch', () => cg.condConv2d(cg.zeros([2, 3, 5, 5]), cg.zeros([4, 6, 3, 3, 3]), cg.zeros([3, 4]))],
    ['condConv2d experts rank', () => cg.condConv2d(cg.zeros([2, 3, 5, 5]), cg.zeros([4, 6, 3, 3]), cg.zeros([2, 4]))],
    ['matmul inner size', () => cg.matmul(cg.zeros([2, 3]), cg.zeros([4, 5]))],
    ['tensor size', () => cg.tensor([1, 2, 3], [2, 2])],
    ['add broadcast', () => cg.add(cg.zeros([2, 3]), cg.zeros([4, 3]))],
    ['CondConv2d groups', () => new cg.CondConv2d(6, 4, 3, { groups: 4 })],
    ['checkpoint bytes', () => cg.readCheckpoint(new Uint8Array(12))],
    ['safetensors bytes', () => cg.decodeSafetensors(new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123]))],
    ['unknown backend', () => cg.initBackend('tpu' as 'cpu')],
  ];
  const out: [string, string, string][] = [];
  for (const [label, f] of cases) {
    try {
      await f();
      out.push([label, 'no error', '']);
    } catch (e) {
      out.push([label, (e as Error).name, (e as Error).message]);
    }
  }
  return out;
}

/** The page's entry points: the library loaded on the page's main thread (where the wasm fork-join spins). */
export async function parity(inp: ParityInputs): Promise<Record<string, ParityResult | { error: string }>> {
  return parityAll(await import('../index.js'), inp);
}
export async function badInput(): Promise<[string, string, string][]> {
  return badInputCases(await import('../index.js'));
}
/** Threads of the wasm backend on the page's main thread. */
export async function wasmThreads(): Promise<number> {
  const cg = await import('../index.js');
  return (cg.getBackend('wasm') as unknown as { threads: number }).threads;
}

/** What checkpointRoundTrip saw: the bytes' checksum, whether the restored net computes the same, and what a file path gives. */
export interface CheckpointTrip {
  bytes: number;
  sha256: string;
  restoredMatches: boolean;
  blobBytes: number;
  saveToPath: string;
}

/**
 * A seeded CondConv net and one Adam step → encodeCheckpoint → Blob → bytes → loadCheckpoint into
 * a fresh net: the same outputs; and what saveCheckpoint to a path does on this platform.
 */
export async function checkpointRoundTrip(cg: Cg): Promise<CheckpointTrip> {
  // On the cpu reference, whose float32 results are the same in every JS engine, so that equal bytes
  // test the encoder: the wasm kernels' last bits depend on the build the runtime picks (relaxed
  // SIMD rounds its fused multiply-adds once), e.g. Chromium's against Node 20's.
  const backend = cg.getBackend('cpu');
  const make = (seed: number) =>
    new cg.Sequential(
      new cg.CondConv2d(1, 4, 3, { numExperts: 2, padding: 1, seed, backend }),
      new cg.ReLU(),
      new cg.Flatten(),
      new cg.Linear(4 * 6 * 6, 3, { seed: seed + 1, backend }),
    );
  const x = cg.randn([2, 1, 6, 6], { seed: 21, backend });
  const net = make(1);
  const opt = new cg.Adam(net.parameters(), { lr: 0.01 });
  cg.crossEntropy(net.forward(x), [0, 2]).backward();
  opt.step();
  const data = { config: { model: 'trip' }, epoch: 1, step: 1, seed: 3, model: net.stateDict(), optimizer: opt.stateDict() };
  const { bytes, sha256 } = await cg.encodeCheckpoint(data);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const back = new Uint8Array(await blob.arrayBuffer());
  const fresh = make(9);
  cg.loadCheckpoint(back, fresh, new cg.Adam(fresh.parameters(), { lr: 0.5 }));
  const a = Array.from(net.forward(x).dataSync());
  const b = Array.from(fresh.forward(x).dataSync());
  let saveToPath = 'saved';
  try {
    if (typeof process === 'object') throw new Error('Node: not tried (it writes files)');
    await cg.saveCheckpoint('run/a.ckpt', data);
  } catch (e) {
    saveToPath = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return { bytes: bytes.byteLength, sha256, restoredMatches: a.length > 0 && a.every((v, i) => v === b[i]), blobBytes: blob.size, saveToPath };
}

/** The page's entry point for checkpointRoundTrip (main thread). */
export async function checkpoints(): Promise<CheckpointTrip> {
  return checkpointRoundTrip(await import('../index.js'));
}

/**
 * The library's own training loop (train + DataLoader) for 2 steps on 64 seeded random images,
 * then once more with a logFile: the step losses, and what the logFile run did.
 */
export async function trainLoop(cg: Cg): Promise<{ stepLosses: number[]; epochs: number; logFile: string }> {
  const n = 64;
  const images = cg.randn([n, 1, 8, 8], { seed: 31 }).dataSync() as Float32Array;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = { images, labels, imageShape: [1, 8, 8] as [number, number, number], numClasses: 3, background: 0, length: n };
  const make = () =>
    new cg.Sequential(
      new cg.CondConv2d(1, 4, 3, { numExperts: 2, padding: 1, seed: 5 }),
      new cg.ReLU(),
      new cg.Flatten(),
      new cg.Linear(4 * 64, 3, { seed: 6 }),
    );
  const net = make();
  const loader = new cg.DataLoader(data, { batchSize: 16, seed: 2 });
  const r = await cg.train(net, { train: loader }, { epochs: 1, optimizer: new cg.Adam(net.parameters(), { lr: 0.01 }), maxBatches: 2 });
  let logFile = 'written';
  if (typeof process !== 'object') {
    const net2 = make();
    try {
      await cg.train(net2, { train: loader }, { epochs: 1, optimizer: new cg.Adam(net2.parameters(), { lr: 0.01 }), maxBatches: 1, logFile: 'run/log.json' });
    } catch (e) {
      logFile = `${(e as Error).name}: ${(e as Error).message}`;
    }
  }
  return { stepLosses: r.stepLosses, epochs: r.history.length, logFile };
}

/** The page's entry point for trainLoop (main thread). */
export async function trainApi(): Promise<{ stepLosses: number[]; epochs: number; logFile: string }> {
  return trainLoop(await import('../index.js'));
}
