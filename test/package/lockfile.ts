// A consumer project's package-lock.json built from ours, so `npm ci --offline` installs the packed tarball from npm's cache alone.

/** One entry of a lockfile v3 `packages` map (only the fields used here are typed). */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, LockEntry>;
}

/** The lock path `name` resolves to from the package at `from` (node's lookup: own node_modules, then each parent's, then the root's). */
function resolve(pk: Record<string, LockEntry>, from: string, name: string): string | null {
  for (let base = from; ;) {
    const cand = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (pk[cand] !== undefined) return cand;
    if (base === '') return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/** Lock paths reachable from `roots` (each resolved from the root); `withOptional` follows optional edges too. */
function reach(pk: Record<string, LockEntry>, roots: readonly string[], withOptional: boolean): Set<string> {
  const out = new Set<string>();
  const visit = (from: string, name: string, optional: boolean): void => {
    const p = resolve(pk, from, name);
    if (p === null) {
      if (optional) return;
      throw new Error(`lockfile: '${name}' (needed by '${from || 'the root'}') is not in package-lock.json`);
    }
    if (out.has(p)) return;
    out.add(p);
    const e = pk[p];
    for (const d of Object.keys(e.dependencies ?? {})) visit(p, d, false);
    if (withOptional) for (const d of Object.keys(e.optionalDependencies ?? {})) visit(p, d, true);
    for (const d of Object.keys(e.peerDependencies ?? {})) {
      const opt = e.peerDependenciesMeta?.[d]?.optional === true;
      if (!opt || withOptional) visit(p, d, opt);
    }
  };
  for (const r of roots) visit('', r, false);
  return out;
}

export interface ConsumerLockOptions {
  /** Our package-lock.json. */
  lock: Lockfile;
  /** The packed package's name, version, package.json fields and tarball (file name relative to the consumer, and its sha512 integrity). */
  pkg: { name: string; version: string; manifest: Record<string, unknown>; tarball: string; integrity: string };
  /** Other dependencies of the consumer, taken from our lock (e.g. the gpu packages), name → range. */
  dependencies?: Record<string, string>;
  /** Development dependencies of the consumer, taken from our lock (e.g. @types/node), name → range. */
  devDependencies: Record<string, string>;
  /** The consumer's package.json overrides (copied into the lock's root entry). */
  overrides?: Record<string, string>;
  /** The consumer's name. */
  name: string;
}

/**
 * The lock of a consumer that depends on the tarball, `dependencies` and `devDependencies`. Every other entry is
 * copied from our lock (same resolved URLs and integrities, so npm's cache serves them) and its
 * flags are recomputed for the consumer: `optional` for what only the package's optional
 * dependencies need (so `--omit=optional` drops it), `dev` for what only the dev roots need.
 */
export function consumerLock(o: ConsumerLockOptions): Lockfile {
  const pk = o.lock.packages;
  const m = o.pkg.manifest as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const deps = [...Object.keys(m.dependencies ?? {}), ...Object.keys(o.dependencies ?? {})];
  const optDeps = Object.keys(m.optionalDependencies ?? {});
  const required = reach(pk, deps, false);
  const prodAll = reach(pk, [...deps, ...optDeps], true);
  const dev = reach(pk, Object.keys(o.devDependencies), true);
  const packages: Record<string, LockEntry> = {
    '': {
      name: o.name,
      dependencies: { [o.pkg.name]: `file:${o.pkg.tarball}`, ...o.dependencies },
      devDependencies: o.devDependencies,
      ...(o.overrides ? { overrides: o.overrides } : {}),
    },
    [`node_modules/${o.pkg.name}`]: {
      version: o.pkg.version,
      resolved: `file:${o.pkg.tarball}`,
      integrity: o.pkg.integrity,
      ...Object.fromEntries(
        ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines']
          .filter((k) => o.pkg.manifest[k] !== undefined)
          .map((k) => [k, o.pkg.manifest[k]]),
      ),
    },
  };
  for (const p of [...new Set([...prodAll, ...dev])].sort()) {
    if (p === `node_modules/${o.pkg.name}`) throw new Error(`lockfile: our lock already holds ${p}`);
    const { dev: _d, optional: _o, devOptional: _do, ...e } = pk[p];
    if (!required.has(p)) {
      const inProd = prodAll.has(p),
        inDev = dev.has(p);
      if (inProd && inDev) e.devOptional = true;
      else if (inProd) e.optional = true;
      else e.dev = true;
    }
    packages[p] = e;
  }
  return { name: o.name, lockfileVersion: 3, requires: true, packages };
}
