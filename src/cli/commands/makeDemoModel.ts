/** `r1-native make-demo-model`: rebuilds the shipped demo base model (models/r1-zero-demo) from scratch. */
import type { Argv, CommandModule } from "yargs";
import { makeDemoModel } from "../../demo/makeDemoModel.js";

export interface MakeDemoModelCommandOptions {
    out: string;
    seed: number;
    steps: number;
}

export const makeDemoModelCommand: CommandModule<object, MakeDemoModelCommandOptions> = {
    command: "make-demo-model",
    describe: "Pretrain the tiny demo base model by SFT on imperfect arithmetic solutions",
    builder: (y) =>
        y
            .option("out", { type: "string", default: "models/r1-zero-demo", describe: "Output model folder" })
            .option("seed", { type: "number", default: 0 })
            .option("steps", { type: "number", default: 1500, describe: "SFT steps of 64 sequences" }) as unknown as Argv<MakeDemoModelCommandOptions>,
    handler: async (argv) => {
        const t0 = Date.now();
        await makeDemoModel({
            outDir: argv.out,
            seed: argv.seed,
            steps: argv.steps,
            onProgress: (step, loss) => console.log(`step ${step} loss ${loss.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
        });
        console.log(`saved ${argv.out}`);
    },
};
