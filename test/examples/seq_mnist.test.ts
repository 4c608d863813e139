// examples/seq_mnist (its accuracies are in the README): a few steps of both twins on real digits, so the example keeps running and learning.
import { expect } from 'chai';
import { randn } from '../../core/creation.js';
import { CondConv1d } from '../../nn/cond_conv1d.js';
import { Conv1d } from '../../nn/layers/conv1d.js';
import { seqMnist, seqNet } from '../../examples/seq_mnist.js';

describe('examples/seq_mnist (README: sequential MNIST)', () => {
  it('the twins differ only in their two block convolutions (CondConv1d vs Conv1d)', () => {
    const kinds = (k: 'cond' | 'plain'): string[] =>
      seqNet({ kind: k })
        .modules()
        .filter((m) => m instanceof Conv1d || m instanceof CondConv1d)
        .map((m) => m.typeName);
    expect(kinds('cond')).to.deep.equal(['Conv1d', 'CondConv1d', 'CondConv1d']);
    expect(kinds('plain')).to.deep.equal(['Conv1d', 'Conv1d', 'Conv1d']);
    expect(seqNet({ kind: 'cond' }).forward(randn([3, 1, 28, 28], { seed: 2 })).shape).to.deep.equal([3, 10]);
  });
  it('20 steps of batch 32 on real digits: both nets train, the held-out loss falls, the accuracies are reported', async () => {
    const lines: string[] = [];
    const rs = await seqMnist({ train: 640, test: 200, epochs: 1, batchSize: 32, lr: 1e-2, log: (s) => lines.push(s) });
    expect(rs.map((r) => r.kind)).to.deep.equal(['cond', 'plain']);
    for (const r of rs) {
      expect(r.testLoss, r.kind).to.be.lessThan(r.initialTestLoss - 0.1);
      expect(r.testAccuracy, r.kind).to.be.within(0, 1);
    }
    expect(rs[0].params).to.be.greaterThan(rs[1].params);
    expect(rs[0].macs).to.be.greaterThan(rs[1].macs);
    expect(rs.map((r) => r.label)).to.deep.equal(['CondConv1d K=4 w=32', 'plain w=32']);
    expect(lines.join('\n')).to.match(/CondConv1d K=4 w=32: \d+ parameters, \d+ MACs\/sample, test accuracy \d+\.\d+% \(untrained \d+\.\d+%\)/);
  });
});
