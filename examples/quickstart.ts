// Quickstart: a CondConv net built in code, one training step, a float64 gradient check, and the fused-vs-moe plan.
import '../kernels/register.js';
import * as cg from '../index.js';

export function quickstart(log: (s: string) => void = console.log): { loss0: number; loss1: number; path: string } {
  // 1. A block whose depthwise and pointwise CondConvs share one sigmoid router (K = 4 experts).
  class Block extends cg.Module {
    router = new cg.SigmoidRouter(8, 4, { seed: 1 });
    dw = new cg.DepthwiseCondConv2d(8, 3, { numExperts: 4, padding: 1, router: this.router, seed: 2 });
    pw = new cg.CondConv2d(8, 16, 1, { numExperts: 4, router: this.router, seed: 3 });
    forward(x: cg.Tensor): cg.Tensor {
      const alpha = this.router.route(x); // [B, 4], computed once for the block
      return cg.relu(this.pw.forward(cg.relu(this.dw.forward(x, alpha)), alpha));
    }
  }
  const net = new cg.Sequential(new cg.Conv2d(1, 8, 3, { padding: 1, seed: 0 }), new Block(), new cg.GlobalAvgPool2d(), new cg.Linear(16, 10, { seed: 4 }));

  // 2. One Adam step on random digits-shaped data.
  const x = cg.randn([8, 1, 28, 28], { seed: 5 });
  const labels = [0, 1, 2, 3, 4, 5, 6, 7];
  const opt = new cg.Adam(net.parameters(), { lr: 1e-2 });
  const loss0 = cg.crossEntropy(net.forward(x), labels);
  loss0.backward();
  opt.step();
  opt.zeroGrad();
  const loss1 = cg.crossEntropy(net.forward(x), labels);
  log(`loss ${loss0.item().toFixed(4)} -> ${loss1.item().toFixed(4)}`);

  // 3. The op itself, checked in float64: gradients of x, experts, routing and bias.
  const f64 = { dtype: 'float64' as const, requiresGrad: true };
  const xs = cg.randn([2, 3, 5, 5], { ...f64, seed: 6 });
  const experts = cg.randn([4, 6, 3, 3, 3], { ...f64, seed: 7 });
  const routing = cg.rand([2, 4], { ...f64, seed: 8 });
  const bias = cg.randn([4, 6], { ...f64, seed: 9 });
  const report = cg.gradcheck((a, w, r, b) => cg.condConv2d(a, w, r, b, { padding: 'same', path: 'fused' }), [xs, experts, routing, bias]);
  log(`gradcheck: ${report.checked} elements agree`);

  // 4. Which execution path 'auto' takes for this layer, and why.
  const plan = cg.planCondConv([32, 64, 32, 32], [8, 64, 64, 3, 3], { padding: 1 });
  log(`auto -> ${plan.path}: ${plan.reason}`);
  return { loss0: loss0.item(), loss1: loss1.item(), path: plan.path };
}

if (import.meta.url === `file://${process.argv[1]}`) quickstart();
