// The README's quickstart runs as shown: the loss falls after one step, the gradcheck passes, auto picks fused.
import '../../kernels/register.js';
import { expect } from 'chai';
import { quickstart } from '../../examples/quickstart.js';

describe('examples/quickstart (shown in the README)', () => {
  it('trains one step, passes a float64 gradcheck and plans the fused path', () => {
    const lines: string[] = [];
    const r = quickstart((s) => lines.push(s));
    expect(r.loss1).to.be.lessThan(r.loss0);
    expect(r.path).to.equal('fused');
    expect(lines.join('\n')).to.match(/gradcheck: \d+ elements agree/);
  });
});
