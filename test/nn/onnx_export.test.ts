// ONNX export checked in onnxruntime-node: the zoo, the README's custom Block and a module using every exportable layer, one file at batch 1, 3 and 17.

import { expect } from 'chai';
import * as cg from '../../index.js';
import { createModel, MODEL_NAMES } from '../../nn/models/index.js';
import { exportOnnx, decodeOnnx, type CondConvFormulation } from '../../nn/onnx/index.js';
import { expectOnnxMatches } from '../helpers/onnx.js';

const BATCHES = [1, 3, 17];

/** The README's block: depthwise and pointwise CondConvs sharing one sigmoid router. */
class Block extends cg.Module {
  router = new cg.SigmoidRouter(8, 4, { seed: 1 });
  dw = new cg.DepthwiseCondConv2d(8, 3, { numExperts: 4, padding: 1, router: this.router, seed: 2 });
  pw = new cg.CondConv2d(8, 16, 1, { numExperts: 4, router: this.router, seed: 3 });
  forward(x: cg.Tensor): cg.Tensor {
    const alpha = this.router.route(x);
    return cg.relu(this.pw.forward(cg.relu(this.dw.forward(x, alpha)), alpha));
  }
}
const readmeNet = (): cg.Module =>
  new cg.Sequential(new cg.Conv2d(1, 8, 3, { padding: 1, seed: 0 }), new Block(), new cg.GlobalAvgPool2d(), new cg.Linear(16, 10, { seed: 4 }));

/**
 * Every exportable layer and op at once: strided/dilated/grouped/asymmetrically padded conv,
 * BatchNorm with non-trivial statistics, depthwise with a multiplier, grouped strided dilated
 * CondConv, depthwise CondConv, pools, movement ops, activations, dropout and a CondLinear with
 * a softmax router at temperature 4.
 */
class Everything extends cg.Module {
  conv = new cg.Conv2d(3, 8, 3, { stride: 2, padding: [1, 0, 2, 1], dilation: 2, groups: 1, seed: 1 });
  bn = new cg.BatchNorm2d(8);
  dwc = new cg.DepthwiseConv2d(8, 3, { multiplier: 2, padding: 'same', seed: 2 });
  cc = new cg.CondConv2d(16, 8, 3, { numExperts: 3, groups: 2, stride: 2, padding: 2, dilation: 2, seed: 3 });
  dcc = new cg.DepthwiseCondConv2d(8, 3, { numExperts: 3, multiplier: 2, padding: 'same', seed: 4, router: { kind: 'softmax', temperature: 2, seed: 5 } });
  drop = new cg.Dropout(0.5);
  lin = new cg.CondLinear(16 + 4, 5, { numExperts: 2, router: { kind: 'softmax', temperature: 4, seed: 6 }, seed: 7 });
  constructor() {
    super();
    this.bn.runningMean.assign(cg.randn([8], { seed: 8 }));
    this.bn.runningVar.assign(cg.rand([8], { seed: 9, low: 0.5, high: 2 }));
  }
  forward(x: cg.Tensor): cg.Tensor {
    let h = cg.relu6(this.bn.forward(this.conv.forward(x)));
    h = cg.silu(this.dwc.forward(h));
    h = cg.maxPool2d(h, { kernelSize: 3, stride: 1, padding: 1 });
    h = cg.tanh(this.cc.forward(h));
    h = cg.clamp(this.dcc.forward(h), -0.5, 2);
    h = cg.avgPool2d(h, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false });
    const p = cg.pad(cg.slice(h, [0, 0, 0, 0], [-1, 4, -1, -1]), [
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    const q = cg.mean(cg.permute(p, [0, 2, 3, 1]), [1, 2]); // [B, 4]
    const pooled = cg.max(h, [2, 3]); // [B, 16]
    const z = this.drop.forward(cg.concat([pooled, cg.sigmoid(q)], 1)); // [B, 20]
    return cg.sub(cg.mul(this.lin.forward(z), 2), cg.reshape(cg.sum(z, 1), [-1, 1]));
  }
}

/** The 1-D layers: strided, dilated, grouped, asymmetrically padded conv1d, depthwise with a multiplier, CondConv 1-D, pools. */
class Everything1d extends cg.Module {
  conv = new cg.Conv1d(3, 8, 3, { stride: 2, padding: [1, 2], dilation: 2, seed: 1 });
  dw = new cg.DepthwiseConv1d(8, 3, { multiplier: 2, padding: 'same', seed: 2 });
  cc = new cg.CondConv1d(16, 8, 3, { numExperts: 3, groups: 2, stride: 2, padding: 2, dilation: 2, seed: 3 });
  dcc = new cg.DepthwiseCondConv1d(8, 5, { numExperts: 2, multiplier: 2, padding: 'same', seed: 4, router: { kind: 'softmax', temperature: 3, seed: 5 } });
  forward(x: cg.Tensor): cg.Tensor {
    let h = cg.relu(this.dw.forward(this.conv.forward(x)));
    h = cg.maxPool1d(h, { kernelSize: 3, stride: 1, padding: 1 });
    h = cg.tanh(this.dcc.forward(this.cc.forward(h)));
    h = cg.avgPool1d(h, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false });
    return cg.adaptiveAvgPool1d(h, 3);
  }
}

describe('exportOnnx: the zoo in onnxruntime-node, one file at batch 1, 3 and 17 within 1e-4', () => {
  for (const name of MODEL_NAMES) {
    it(`${name} convert=all routing=sigmoid width=0.25 input 16×16`, async () => {
      const m = createModel(name, { convert: 'all', width: 0.25, inputSize: 16, seed: 1 });
      await expectOnnxMatches(m, exportOnnx(m, { inputShape: m.inputShape }), m.inputShape, BATCHES);
    });
  }
  it('mobilenet-v2 convert=last routing=softmax at temperature 7 (exported with the temperature it has)', async () => {
    const m = createModel('mobilenet-v2', { convert: 'last', routing: 'softmax', width: 0.25, inputSize: 16, seed: 2 });
    for (const r of m.modules()) if (r instanceof cg.SoftmaxRouter) r.setTemperature(7);
    await expectOnnxMatches(m, exportOnnx(m, { inputShape: m.inputShape }), m.inputShape, BATCHES);
  });
  it('resnet convert=none (no CondConv)', async () => {
    const m = createModel('resnet', { convert: 'none', width: 0.25, inputSize: 16, seed: 3 });
    await expectOnnxMatches(m, exportOnnx(m, { inputShape: m.inputShape }), m.inputShape, BATCHES);
  });
});

describe('exportOnnx: user modules', () => {
  it("the README's Sequential(Conv2d, Block with a shared router, GlobalAvgPool2d, Linear), x=[B,1,28,28]", async () => {
    const net = readmeNet();
    const bytes = exportOnnx(net, { inputShape: [1, 28, 28] });
    await expectOnnxMatches(net, bytes, [1, 28, 28], BATCHES);
    // The shared router appears once: its FC weight is one initializer read by both CondConvs' mixing.
    const inits = (decodeOnnx(bytes).graph as { initializer: { name: string }[] }).initializer.map((t) => t.name);
    expect(inits.filter((n) => n.includes('router.fc1.weight'))).to.have.length(1);
  });
  for (const how of ['scan', 'loop', 'unfold', 'moe'] as CondConvFormulation[]) {
    it(`every exportable layer in one module, x=[B,3,19,17], condConv '${how}'`, async () => {
      const m = new Everything();
      await expectOnnxMatches(m, exportOnnx(m, { inputShape: [3, 19, 17], condConv: how }), [3, 19, 17], BATCHES);
    });
  }
  it('a parameter expanded to the batch, and a reshape folding the batch into another dim, stay batch-symbolic; float64 models export as float32', async () => {
    class Folding extends cg.Module {
      lin = new cg.Linear(6, 4, { seed: 1, dtype: 'float64' });
      offset = cg.randn([1, 4], { seed: 2, dtype: 'float64', requiresGrad: true });
      constructor() {
        super();
        this.registerParameter('offset', this.offset);
      }
      forward(x: cg.Tensor): cg.Tensor {
        const y = cg.add(this.lin.forward(x), cg.expand(this.offset, [x.shape[0], 4])); // [B, 4]
        const folded = cg.reshape(y, [x.shape[0] * 2, 2]); // [2B, 2]
        return cg.reshape(cg.softmax(folded, -1, 3), [-1, 4]);
      }
    }
    const m = new Folding();
    const bytes = exportOnnx(m, { inputShape: [6] });
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(bytes);
    for (const B of BATCHES) {
      const x = cg.randn([B, 6], { seed: B, dtype: 'float64' });
      const want = cg.noGrad(() => m.forward(x)).dataSync();
      const got = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [B, 6]) })).output;
      expect(got.dims).to.deep.equal([B, 4]);
      for (let i = 0; i < want.length; i++) expect(Math.abs((got.data as Float32Array)[i] - want[i])).to.be.lessThan(1e-5);
    }
  });
  for (const how of ['scan', 'loop', 'unfold', 'moe'] as CondConvFormulation[]) {
    it(`every 1-D layer in one module, x=[B,3,41], condConv '${how}'`, async () => {
      const m = new Everything1d();
      await expectOnnxMatches(m, exportOnnx(m, { inputShape: [3, 41], condConv: how }), [3, 41], BATCHES);
    });
  }
  for (const path of ['moe', 'batch1'] as const) {
    it(`CondConv1d layers on path '${path}' export`, async () => {
      const net = new cg.Sequential(new cg.CondConv1d(2, 4, 3, { numExperts: 3, padding: 1, path, seed: 1 }), new cg.GlobalAvgPool1d());
      await expectOnnxMatches(net, exportOnnx(net, { inputShape: [2, 12] }), [2, 12], path === 'batch1' ? [1] : BATCHES);
    });
  }
  for (const path of ['fused', 'moe', 'batch1', 'auto'] as const) {
    it(`CondConv2d and CondLinear layers on path '${path}' export (and run at any batch)`, async () => {
      const net = new cg.Sequential(
        new cg.CondConv2d(2, 6, 3, { numExperts: 3, padding: 1, path, seed: 1 }),
        new cg.DepthwiseCondConv2d(6, 3, { numExperts: 3, stride: 2, path, seed: 2 }),
        new cg.GlobalAvgPool2d(),
        new cg.CondLinear(6, 4, { numExperts: 3, path, seed: 3 }),
      );
      await expectOnnxMatches(net, exportOnnx(net, { inputShape: [2, 9, 9] }), [2, 9, 9], path === 'batch1' ? [1] : BATCHES);
      if (path === 'batch1') {
        // condgrad runs this model only at batch 1; the exported file runs at any batch, sample by sample equal to batch 1.
        const session = await (await import('onnxruntime-node')).InferenceSession.create(exportOnnx(net, { inputShape: [2, 9, 9] }));
        const x = cg.randn([3, 2, 9, 9], { seed: 4 });
        const y = (await session.run({ input: new (await import('onnxruntime-node')).Tensor('float32', Float32Array.from(x.dataSync()), [3, 2, 9, 9]) })).output
          .data as Float32Array;
        net.eval();
        for (let b = 0; b < 3; b++) {
          const want = cg.noGrad(() => net.forward(cg.slice(x, [b, 0, 0, 0], [1, 2, 9, 9]))).dataSync();
          for (let i = 0; i < 4; i++) expect(Math.abs(y[b * 4 + i] - want[i])).to.be.lessThan(1e-5);
        }
      }
    });
  }
});
