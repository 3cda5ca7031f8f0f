/** `r1-native bench <suite>`: throughput benchmarks (not tests). */
import type { CommandModule } from "yargs";
import { runKernelBench } from "../../bench/kernelBench.js";

export interface BenchOptions {
    suite: string;
    out?: string;
    quick?: boolean;
}

export async function runBench(options: BenchOptions): Promise<void> {
    switch (options.suite) {
        case "kernels":
            await runKernelBench({ outDir: options.out, quick: options.quick });
            return;
        default:
            throw new Error(`r1-native bench: unknown suite "${options.suite}" (known: kernels)`);
    }
}

export const benchCommand: CommandModule<object, BenchOptions> = {
    command: "bench <suite>",
    describe: "Run a benchmark suite and save a table and a JSON file",
    builder: (y) =>
        y
            .positional("suite", { type: "string", choices: ["kernels"], demandOption: true })
            .option("out", {
                type: "string",
                describe: "Folder for the results table and JSON. Defaults to `bench/results`.",
            })
            .option("quick", {
                type: "boolean",
                default: false,
                describe: "Fewer repetitions and smaller peers (a smoke run)",
            }),
    handler: (argv) => runBench(argv),
};
