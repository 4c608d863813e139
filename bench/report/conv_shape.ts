// Bench helper: the conv shape names of the kernel benches' --shapes flags (B x C x H x W x O, optionally x sS).

/** A 3x3 conv shape: x [B, C, H, W], O output channels, stride (1 unless the name ends in xsS). */
export interface ConvShape {
  x: number[];
  o: number;
  stride: number;
}

/** Reads 'B64xC64x7x7xO64' or 'B64xC32x14x14xO64xs2'; throws naming the flag and the expected form otherwise. */
export function parseConvShape(name: string): ConvShape {
  const m = /^B(\d+)xC(\d+)x(\d+)x(\d+)xO(\d+)(?:xs(\d+))?$/.exec(name);
  if (!m) throw new Error(`--shapes: cannot read '${name}' (want e.g. B64xC64x7x7xO64 or ...xs2)`);
  return { x: [+m[1], +m[2], +m[3], +m[4]], o: +m[5], stride: m[6] ? +m[6] : 1 };
}
