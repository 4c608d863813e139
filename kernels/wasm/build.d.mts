// Types of build.mjs (the AssemblyScript build of the wasm kernels).

/** The asc command-line flags the kernels are compiled with. */
export declare const ASC_FLAGS: string[];
/** The same flags without --sharedMemory (the module for an unshared memory). */
export declare const ASC_FLAGS_UNSHARED: string[];
/** The flags that add relaxed SIMD to either set (the relaxed-SIMD modules). */
export declare const ASC_RELAXED: string[];
/** Builds the kernels unless the generated module is newer than every source; resolves true if it compiled. */
export declare function buildWasm(opts?: { force?: boolean; quiet?: boolean }): Promise<boolean>;
