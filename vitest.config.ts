import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Native kernels use every core; one test file at a time keeps timings sane.
        pool: "forks",
        fileParallelism: false,
        testTimeout: 60_000,
        env: {
            // Outputs start as NaN so a kernel that leaves an element unwritten fails.
            R1_POISON_OUTPUTS: "1",
        },
    },
});
