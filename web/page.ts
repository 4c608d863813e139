// The demo page's main thread: controls, the live loss/accuracy chart, the routing heatmap and the layer timings; the training runs in worker.ts.
// window.demo exposes the same actions to scripts (the browser test drives the page through it).

import type { BenchRow, TrainRequest, TrainResult } from './worker.js';
import { parity, badInput, wasmThreads, checkpoints, trainApi, type ParityInputs } from './checks.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'condgrad-demo-training' });
let nextId = 1;
const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
let onProgress: (p: Progress) => void = () => undefined;
let loaded!: () => void;
const workerLoaded = new Promise<void>((ok) => {
  loaded = ok;
});

interface Progress {
  step: number;
  steps: number;
  loss: number;
  accuracy?: number;
  seconds: number;
}

type FromWorker =
  | { type: 'loaded' }
  | ({ type: 'progress' } & Progress)
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: { name: string; message: string } };

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'loaded') loaded();
  else if (m.type === 'progress') onProgress(m);
  else {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === 'result') p?.ok(m.value);
    else {
      const err = new Error(m.error.message);
      err.name = m.error.name;
      p?.fail(err);
    }
  }
};
worker.onerror = (e) => {
  $('status').textContent = `worker error: ${e.message}`;
};

function call<T>(type: string, args?: unknown): Promise<T> {
  const id = nextId++;
  return new Promise<T>((ok, fail) => {
    pending.set(id, { ok: ok as (v: unknown) => void, fail });
    worker.postMessage({ id, type, args });
  });
}

// ---- the loss / accuracy chart ----
const losses: number[] = [];
const accs: { step: number; accuracy: number }[] = [];
let totalSteps = 1;

function drawCurve(): void {
  const c = $<HTMLCanvasElement>('curve');
  const g = c.getContext('2d')!;
  const [W, H, L, R, T, B] = [c.width, c.height, 46, 46, 10, 30];
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const maxLoss = Math.max(2.5, ...losses.map((v) => Math.min(v, 5)));
  const x = (s: number): number => L + ((W - L - R) * s) / Math.max(1, totalSteps);
  const yl = (v: number): number => T + (H - T - B) * (1 - Math.min(v, maxLoss) / maxLoss);
  const ya = (a: number): number => T + (H - T - B) * (1 - a);
  g.strokeStyle = '#e3e7ee';
  g.fillStyle = '#6b7489';
  g.font = '11px system-ui';
  g.lineWidth = 1;
  for (let i = 0; i <= 5; i++) {
    const yy = T + ((H - T - B) * i) / 5;
    g.beginPath();
    g.moveTo(L, yy);
    g.lineTo(W - R, yy);
    g.stroke();
    g.textAlign = 'right';
    g.fillText((maxLoss * (1 - i / 5)).toFixed(1), L - 6, yy + 4);
    g.textAlign = 'left';
    g.fillText(`${100 - i * 20}%`, W - R + 6, yy + 4);
  }
  g.textAlign = 'center';
  for (let i = 0; i <= 4; i++) g.fillText(String(Math.round((totalSteps * i) / 4)), x((totalSteps * i) / 4), H - B + 16);
  g.fillText('step', (L + W - R) / 2, H - 3);
  g.strokeStyle = '#4c78a8';
  g.lineWidth = 1.5;
  g.beginPath();
  losses.forEach((v, i) => (i === 0 ? g.moveTo(x(i + 1), yl(v)) : g.lineTo(x(i + 1), yl(v))));
  g.stroke();
  g.strokeStyle = '#f58518';
  g.fillStyle = '#f58518';
  g.lineWidth = 2;
  g.beginPath();
  accs.forEach((a, i) => (i === 0 ? g.moveTo(x(a.step), ya(a.accuracy)) : g.lineTo(x(a.step), ya(a.accuracy))));
  g.stroke();
  for (const a of accs) {
    g.beginPath();
    g.arc(x(a.step), ya(a.accuracy), 3, 0, 2 * Math.PI);
    g.fill();
  }
  g.textAlign = 'left';
  g.fillStyle = '#4c78a8';
  g.fillText('■ training loss (left)', L + 8, T + 14);
  g.fillStyle = '#f58518';
  g.fillText('■ test accuracy, 500 digits (right)', L + 140, T + 14);
}

function drawHeatmaps(hs: number[][][] | null): void {
  const c = $<HTMLCanvasElement>('heatmap');
  const g = c.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.font = '11px system-ui';
  g.fillStyle = '#6b7489';
  if (hs === null) {
    g.fillText('train the network to see its routing', 20, 30);
    return;
  }
  const K = hs[0][0].length;
  const [L, T, gap] = [50, 40, 14];
  const panel = (c.width - L - gap - 6) / 2;
  const cw = Math.min(44, panel / K);
  const ch = (c.height - T - 26) / 10;
  for (let d = 0; d < 10; d++) {
    g.textAlign = 'right';
    g.fillStyle = '#6b7489';
    g.fillText(`digit ${d}`, L - 6, T + ch * (d + 0.6));
  }
  hs.forEach((h, l) => {
    const x0 = L + l * (K * cw + gap);
    // Colour spans each layer's own range, so that small differences between classes show.
    const lo = Math.min(...h.flat());
    const hi = Math.max(...h.flat());
    g.textAlign = 'center';
    g.fillStyle = '#1d2330';
    g.fillText(`layer ${l + 1}: ${lo.toFixed(2)}–${hi.toFixed(2)}`, x0 + (K * cw) / 2, T - 24);
    g.fillStyle = '#6b7489';
    for (let k = 0; k < K; k++) g.fillText(`e${k}`, x0 + cw * (k + 0.5), T - 8);
    for (let d = 0; d < 10; d++) {
      for (let k = 0; k < K; k++) {
        const v = h[d][k];
        const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        g.fillStyle = `rgb(${Math.round(247 - 214 * t)}, ${Math.round(251 - 150 * t)}, ${Math.round(255 - 75 * t)})`;
        g.fillRect(x0 + cw * k, T + ch * d, cw - 1, ch - 1);
        if (cw >= 30) {
          g.fillStyle = t > 0.6 ? '#fff' : '#1d2330';
          g.textAlign = 'center';
          g.fillText(v.toFixed(2), x0 + cw * (k + 0.5), T + ch * (d + 0.6));
        }
      }
    }
  });
  g.textAlign = 'left';
  g.fillStyle = '#6b7489';
  g.fillText("e0…: experts; light: the layer's smallest mean α, dark: its largest", L, c.height - 8);
}

// ---- actions ----
let busy = false;
function setBusy(b: boolean): void {
  busy = b;
  for (const id of ['train', 'bench']) $<HTMLButtonElement>(id).disabled = b;
}

async function train(req: TrainRequest): Promise<TrainResult> {
  if (busy) throw new Error('busy');
  setBusy(true);
  losses.length = 0;
  accs.length = 0;
  totalSteps = req.steps;
  drawCurve();
  onProgress = (p) => {
    losses.push(p.loss);
    if (p.accuracy !== undefined) accs.push({ step: p.step, accuracy: p.accuracy });
    $<HTMLProgressElement>('progress').value = p.step / p.steps;
    const last = accs.length > 0 ? ` · test accuracy ${(100 * accs[accs.length - 1].accuracy).toFixed(1)}%` : '';
    $('progressText').textContent = `step ${p.step}/${p.steps} · loss ${p.loss.toFixed(3)}${last} · ${p.seconds.toFixed(1)} s`;
    drawCurve();
  };
  try {
    const r = await call<TrainResult>('train', req);
    $('progressText').textContent += ` · ${r.msPerStep.toFixed(1)} ms/step on ${r.backend}${r.backend === 'wasm' ? ` (${r.threads} threads)` : ''}, K=${r.K}`;
    drawHeatmaps(r.heatmaps);
    return r;
  } finally {
    setBusy(false);
  }
}

async function bench(req: { backend: string; K: number }): Promise<BenchRow[]> {
  if (busy) throw new Error('busy');
  setBusy(true);
  try {
    const rows = await call<BenchRow[]>('bench', req);
    const max = Math.max(...rows.map((r) => r.ms));
    $('benchTable').querySelector('tbody')!.innerHTML =
      rows
        .map(
          (r) => `<tr><td>${r.path}</td><td>${r.ms.toFixed(2)}</td><td><span class="bar" style="width:${Math.round((110 * r.ms) / max)}px"></span></td></tr>`,
        )
        .join('') + `<tr><td colspan="3" class="note">${req.backend}, K=${req.K}</td></tr>`;
    return rows;
  } finally {
    setBusy(false);
  }
}

/** Pixels of a canvas that differ from its background (the first pixel's colour). */
function ink(id: string): number {
  const c = $<HTMLCanvasElement>(id);
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
  return n;
}

const choice = (): { backend: 'cpu' | 'wasm' | 'gpu'; K: number; steps: number } => ({
  backend: $<HTMLSelectElement>('backend').value as 'cpu' | 'wasm' | 'gpu',
  K: Number($<HTMLSelectElement>('K').value),
  steps: Number($<HTMLSelectElement>('steps').value),
});
const report = (e: unknown): void => {
  $('status').textContent = `error: ${(e as Error).message}`;
};
$('train').onclick = () => {
  train(choice()).catch(report);
};
$('bench').onclick = () => {
  const c = choice();
  bench({ backend: c.backend, K: c.K }).catch(report);
};

const ready = (async () => {
  await workerLoaded;
  const info = await call<{ crossOriginIsolated: boolean; wasmThreads: number; wasmSimd: string; webgpu: boolean; hardwareConcurrency: number }>('info');
  if (!info.webgpu) {
    const o = $<HTMLSelectElement>('backend').querySelector('option[value=gpu]') as HTMLOptionElement;
    o.disabled = true;
    o.textContent = 'gpu (no WebGPU here)';
  }
  $('status').textContent =
    `wasm backend: ${info.wasmThreads} thread${info.wasmThreads === 1 ? '' : 's'}, ${info.wasmSimd === 'relaxed' ? 'relaxed SIMD' : '128-bit SIMD'} (${info.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated: one thread'}; ${info.hardwareConcurrency} hardware threads) · WebGPU ${info.webgpu ? 'available' : 'not available'}`;
  drawCurve();
  drawHeatmaps(null);
  return info;
})();

(window as unknown as { demo: unknown }).demo = {
  ready,
  train,
  bench,
  ink,
  parity: (i: ParityInputs) => parity(i),
  badInput,
  wasmThreads,
  checkpoints,
  trainApi,
};
