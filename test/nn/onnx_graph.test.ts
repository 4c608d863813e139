// ONNX export: the graph's structure (symbolic batch, no group = B, no K-expert convs on the default path) and its named errors.

import { expect } from 'chai';
import * as cg from '../../index.js';
import { runOp, type Op } from '../../core/op.js';
import { Tensor } from '../../core/tensor.js';
import { exportOnnx, decodeOnnx, ONNX_EXPORTABLE_OPS } from '../../nn/onnx/index.js';
import { expectError } from '../helpers/tensors.js';

interface NodeObj {
  opType: string;
  attribute?: { name: string; i?: number; g?: GraphObj }[];
}
interface GraphObj {
  node: NodeObj[];
  input: { name: string; type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
}

const graphOf = (bytes: Uint8Array): GraphObj => decodeOnnx(bytes).graph as GraphObj;
/** Every node of the graph and of its control-flow bodies. */
function allNodes(g: GraphObj): NodeObj[] {
  return g.node.flatMap((n) => [n, ...(n.attribute ?? []).flatMap((a) => (a.g ? allNodes(a.g) : []))]);
}
const groupOf = (n: NodeObj): number => n.attribute?.find((a) => a.name === 'group')?.i ?? 1;

const condNet = (): cg.Module =>
  new cg.Sequential(
    new cg.CondConv2d(4, 8, 3, { numExperts: 4, padding: 1, seed: 1 }),
    new cg.DepthwiseCondConv2d(8, 3, { numExperts: 4, padding: 1, seed: 2 }),
    new cg.GlobalAvgPool2d(),
    new cg.Linear(8, 3, { seed: 3 }),
  );

describe('exportOnnx: graph structure', () => {
  it("input is [batch, 4, 6, 6] with a symbolic 'batch'; the model is opset 17", () => {
    const m = decodeOnnx(exportOnnx(condNet(), { inputShape: [4, 6, 6] }));
    const g = m.graph as GraphObj;
    expect(g.input[0].name).to.equal('input');
    expect(g.input[0].type.tensorType.shape.dim).to.deep.equal([{ dimParam: 'batch' }, { dimValue: 4 }, { dimValue: 6 }, { dimValue: 6 }]);
    expect(m.opsetImport).to.deep.equal([{ domain: '', version: 17 }]);
  });
  it("default 'scan': one Conv per CondConv inside a Scan body, none with a group set to a batch size, no K-wide conv", () => {
    const g = graphOf(exportOnnx(condNet(), { inputShape: [4, 6, 6] }));
    const scans = g.node.filter((n) => n.opType === 'Scan');
    expect(scans).to.have.length(2);
    const bodyConvs = scans.map((s) => allNodes(s.attribute!.find((a) => a.name === 'body')!.g!).filter((n) => n.opType === 'Conv'));
    expect(bodyConvs.map((c) => c.length)).to.deep.equal([1, 1]);
    expect(bodyConvs.map((c) => groupOf(c[0]))).to.deep.equal([1, 8]); // the layers' groups, not B
    expect(g.node.filter((n) => n.opType === 'Conv')).to.have.length(0);
  });
  it("'moe': one Conv per CondConv with K·O output channels (all experts), no Scan", () => {
    const g = graphOf(exportOnnx(condNet(), { inputShape: [4, 6, 6], condConv: 'moe' }));
    expect(g.node.filter((n) => n.opType === 'Scan')).to.have.length(0);
    expect(g.node.filter((n) => n.opType === 'Conv').map(groupOf)).to.deep.equal([1, 8]);
  });
  it("restores every module's train/eval mode and leaves the parameters unchanged", () => {
    const net = condNet();
    const before = net.parameters().map((p) => Array.from(p.dataSync()));
    net.children()[1].eval();
    const modes = net.modules().map((m) => m.training);
    expect(modes.filter((t) => t).length).to.be.greaterThan(0);
    expect(modes.filter((t) => !t).length).to.be.greaterThan(0);
    exportOnnx(net, { inputShape: [4, 6, 6] });
    expect(net.modules().map((m) => m.training)).to.deep.equal(modes);
    expect(net.parameters().map((p) => Array.from(p.dataSync()))).to.deep.equal(before);
  });
  it('a forward defined as an instance field still works after export (the module-path wrappers are removed)', () => {
    class Field extends cg.Module {
      lin = new cg.Linear(3, 2, { seed: 1 });
      forward = (x: cg.Tensor): cg.Tensor => cg.relu(this.lin.forward(x));
    }
    const m = new Field();
    const own = m.forward;
    exportOnnx(m, { inputShape: [3] });
    expect(m.forward).to.equal(own);
    expect(Object.prototype.hasOwnProperty.call(m.lin, 'forward')).to.equal(false);
  });
  it('lists the ops it writes', () => {
    for (const n of [
      'conv2d',
      'depthwiseConv2d',
      'condConv2d',
      'condLinear',
      'conv2dPerSample',
      'matmul',
      'mixExperts',
      'maxPool2d',
      'avgPool2d',
      'reduce',
      'reshape',
      'permute',
      'expand',
      'slice',
      'pad',
      'concat',
      'sigmoid',
      'relu',
      'add',
      'div',
    ]) {
      expect(ONNX_EXPORTABLE_OPS).to.include(n);
    }
  });
});

/** A user's op the exporter has no mapping for. */
const twiceOp: Op<Record<string, never>, { shape: readonly number[] }> = {
  name: 'myTwice',
  plan: ([x]) => ({ shape: x.shape }),
  forward: (backend, [x]) => backend.unary(x, { name: 'affine', scale: 2, shift: 0 }),
};

describe('exportOnnx: named errors', () => {
  it('ops without an ONNX mapping are listed by name, count and shape', () => {
    class Custom extends cg.Module {
      conv = new cg.Conv2d(1, 2, 3, { seed: 1 });
      forward(x: cg.Tensor): cg.Tensor {
        const y = this.conv.forward(x);
        return runOp(twiceOp, [runOp(twiceOp, [y], {})], {});
      }
    }
    expectError(
      () => exportOnnx(new Custom(), { inputShape: [1, 5, 5] }),
      'exportOnnx',
      'cannot export 1 op kind(s)',
      'myTwice (2×: op 3 in (root) Custom → [2,2,3,3], op 4 in (root) Custom → [2,2,3,3])',
    );
  });
  it('a tensor made outside the ops that changes between passes (a fresh random tensor) is named', () => {
    class Noisy extends cg.Module {
      lin = new cg.Linear(3, 2, { seed: 1 });
      forward(x: cg.Tensor): cg.Tensor {
        return this.lin.forward(cg.add(x, cg.randn([3])));
      }
    }
    expectError(() => exportOnnx(new Noisy(), { inputShape: [3] }), 'exportOnnx', 'input 1 of op 0 (add)', 'register it as a parameter or buffer');
  });
  it('a forward that branches on the batch size', () => {
    class Branchy extends cg.Module {
      forward(x: cg.Tensor): cg.Tensor {
        return x.shape[0] === 2 ? cg.relu(x) : cg.sigmoid(x);
      }
    }
    expectError(() => exportOnnx(new Branchy(), { inputShape: [3] }), 'exportOnnx', 'different ops at batch 2 and batch 3', 'relu vs sigmoid');
  });
  it('a dim that is not a multiple of the batch (the flattened B×B outer product)', () => {
    class Outer extends cg.Module {
      forward(x: cg.Tensor): cg.Tensor {
        return cg.reshape(cg.matmul(x, x, { transB: true }), [-1]); // [B·B]
      }
    }
    expectError(
      () => exportOnnx(new Outer(), { inputShape: [3] }),
      'exportOnnx',
      'op 1 (reshape) output dim 0 is 4 at batch 2 and 9 at batch 3: not a multiple of the batch',
    );
  });
  it('a forward that fails on the input shape names it', () => {
    expectError(() => exportOnnx(condNet(), { inputShape: [3, 6, 6] }), 'exportOnnx', 'fails on input [2,3,6,6]');
  });
  it('bad options', () => {
    expectError(() => exportOnnx({} as cg.Module, { inputShape: [1] }), 'exportOnnx', 'model must be a Module');
    expectError(() => exportOnnx(condNet(), { inputShape: [4, 0, 6] }), 'exportOnnx', 'inputShape');
    expectError(
      () => exportOnnx(condNet(), { inputShape: [4, 6, 6], condConv: 'grouped' as never }),
      'exportOnnx',
      "condConv must be one of 'scan', 'loop', 'unfold', 'moe'",
    );
  });
  it('the forward returning its input unchanged', () => {
    expectError(() => exportOnnx(new cg.Dropout(0.5), { inputShape: [3] }), 'exportOnnx', 'returns its input');
  });
  it('Tensor stays the public class (sanity for the error test above)', () => {
    expect(cg.randn([1])).to.be.instanceOf(Tensor);
  });
});
