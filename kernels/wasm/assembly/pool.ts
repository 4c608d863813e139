// Max and average 2-D pooling, forward and backward, one plane per work item.

import { arg, at, nextItem, ptr, zeroF32 } from './args';
import {
  P_DY, P_INCLPAD, P_INH, P_INW, P_KH, P_KW, P_OUTH, P_OUTW, P_PADL, P_PADT, P_SH,
  P_SW, P_X, P_Y,
} from './layout';

/** Offset within the plane of the first maximum of window (oh, ow); a NaN wins when first seen. */
function argmax(x: usize, g: usize, oh: i32, ow: i32): i32 {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), kH = arg(g, P_KH), kW = arg(g, P_KW);
  const hs = oh * arg(g, P_SH) - arg(g, P_PADT), ws = ow * arg(g, P_SW) - arg(g, P_PADL);
  const h0 = max(hs, 0), h1 = min(hs + kH, inH), w0 = max(ws, 0), w1 = min(ws + kW, inW);
  let best = h0 * inW + w0;
  let m = load<f32>(at(x, best));
  if (m != m) return best;
  for (let ih = h0; ih < h1; ih++) {
    for (let iw = w0; iw < w1; iw++) {
      const o = ih * inW + iw;
      const v = load<f32>(at(x, o));
      if (v > m) {
        m = v;
        best = o;
      } else if (v != v) {
        return o;
      }
    }
  }
  return best;
}

/** y = max over each window, for the planes claimed with nextItem. */
export function maxPoolForward(g: usize): void {
  const inP = arg(g, P_INH) * arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const x = ptr(g, P_X), y = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inP), yp = at(y, pl * outH * outW);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) store<f32>(at(yp, oh * outW + ow), load<f32>(at(xp, argmax(xp, g, oh, ow))));
    }
  }
}

/** dx: dy routed to the first maximum of each window, for the planes claimed with nextItem. Y is dx. */
export function maxPoolBackward(g: usize): void {
  const inP = arg(g, P_INH) * arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const x = ptr(g, P_X), dy = ptr(g, P_DY), dx = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inP), dyp = at(dy, pl * outH * outW), dxp = at(dx, pl * inP);
    zeroF32(dxp, inP);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const d = at(dxp, argmax(xp, g, oh, ow));
        store<f32>(d, load<f32>(d) + load<f32>(at(dyp, oh * outW + ow)));
      }
    }
  }
}

/** Divisor of window (oh, ow): the full window, or its in-bounds cell count. */
@inline function divisor(g: usize, h0: i32, h1: i32, w0: i32, w1: i32): f32 {
  return arg(g, P_INCLPAD) != 0 ? <f32>(arg(g, P_KH) * arg(g, P_KW)) : <f32>((h1 - h0) * (w1 - w0));
}

/** y = window sum / divisor, for the planes claimed with nextItem. */
export function avgPoolForward(g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const kH = arg(g, P_KH), kW = arg(g, P_KW), sH = arg(g, P_SH), sW = arg(g, P_SW);
  const padT = arg(g, P_PADT), padL = arg(g, P_PADL);
  const x = ptr(g, P_X), y = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inH * inW), yp = at(y, pl * outH * outW);
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - padT, h0 = max(hs, 0), h1 = min(hs + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * sW - padL, w0 = max(ws, 0), w1 = min(ws + kW, inW);
        let s: f32 = 0;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) s += load<f32>(at(xp, ih * inW + iw));
        }
        store<f32>(at(yp, oh * outW + ow), s / divisor(g, h0, h1, w0, w1));
      }
    }
  }
}

/** dx[cell] = Σ over windows holding the cell of dy / divisor, for the planes claimed with nextItem. Y is dx. */
export function avgPoolBackward(g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const kH = arg(g, P_KH), kW = arg(g, P_KW), sH = arg(g, P_SH), sW = arg(g, P_SW);
  const padT = arg(g, P_PADT), padL = arg(g, P_PADL);
  const dy = ptr(g, P_DY), dx = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const dxp = at(dx, pl * inH * inW), dyp = at(dy, pl * outH * outW);
    zeroF32(dxp, inH * inW);
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - padT, h0 = max(hs, 0), h1 = min(hs + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * sW - padL, w0 = max(ws, 0), w1 = min(ws + kW, inW);
        const v = load<f32>(at(dyp, oh * outW + ow)) / divisor(g, h0, h1, w0, w1);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const d = at(dxp, ih * inW + iw);
            store<f32>(d, load<f32>(d) + v);
          }
        }
      }
    }
  }
}
