/** `r1-native train`: GRPO training (R1-Zero by default). */
import type { CommandModule } from "yargs";

export interface TrainOptions {
    config?: string;
}

export async function runTrain(_options: TrainOptions): Promise<void> {
    throw new Error(
        "r1-native train: the GRPO trainer is not built yet in this version. " +
            "Available now: the native kernels (`r1-native bench kernels`).",
    );
}

export const trainCommand: CommandModule<object, TrainOptions> = {
    command: "train",
    describe: "Train a policy with GRPO (R1-Zero on the built-in task by default)",
    builder: (y) =>
        y.option("config", { type: "string", describe: "Recipe/config file (YAML or JSON)" }),
    handler: (argv) => runTrain(argv),
};
