/** Kernel microbenchmarks: filled in below. */
export interface KernelBenchOptions {
    outDir?: string;
    quick?: boolean;
}

export async function runKernelBench(_options: KernelBenchOptions): Promise<void> {
    throw new Error("not yet");
}
