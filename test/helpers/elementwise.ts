// The elementwise ops the kernel suites run, built from the exported op lists so that a new op cannot be left out.

import { PLAIN_UNARY_OPS, type ParamUnaryOp, type UnaryOp } from '../../kernels/elementwise.js';

/** The constants to test each parameterised unary op with (one op per entry). */
export type UnaryParams = { readonly [N in ParamUnaryOp['name']]: readonly Omit<Extract<ParamUnaryOp, { name: N }>, 'name'>[] };

/**
 * Every unary op: each plain op of PLAIN_UNARY_OPS once, then each parameterised op once per
 * constant set in `params` (the compiler requires an entry for every parameterised op).
 */
export function unaryCases(params: UnaryParams): UnaryOp[] {
  const out: UnaryOp[] = PLAIN_UNARY_OPS.map((name) => ({ name }));
  for (const name of Object.keys(params) as (keyof UnaryParams)[]) {
    for (const c of params[name]) out.push({ name, ...c } as UnaryOp);
  }
  return out;
}
