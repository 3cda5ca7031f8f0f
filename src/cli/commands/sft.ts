/** `r1-native sft`: supervised fine-tuning on completion tokens (R1 cold start, stage-3 SFT, distillation). */
import type { Argv, CommandModule } from "yargs";
import { Progress } from "../progress.js";
import { applySftOverrides, loadSftConfigFile, resolveSftConfig, type SftConfig, type SftConfigInput } from "../../train/sft/config.js";
import { createSftTrainer } from "../../train/sft/trainer.js";

export interface SftCommandOptions {
    config?: string;
    model?: string;
    data?: string;
    outputDir?: string;
    epochs?: number;
    maxSteps?: number;
    learningRate?: number;
    resume: boolean;
    /** Further dotted overrides, "key=value". */
    set?: string[];
}

/** The config of the file (if any) with the flags applied on top. */
export async function sftConfigFromOptions(options: SftCommandOptions): Promise<SftConfig> {
    let partial: SftConfigInput = options.config ? await loadSftConfigFile(options.config) : {};
    const flags: Record<string, unknown> = {};
    if (options.model !== undefined) flags.model = options.model;
    if (options.data !== undefined) flags["data.path"] = options.data;
    if (options.outputDir !== undefined) flags.outputDir = options.outputDir;
    if (options.epochs !== undefined) flags["training.epochs"] = options.epochs;
    if (options.maxSteps !== undefined) flags["training.maxSteps"] = options.maxSteps;
    if (options.learningRate !== undefined) flags["optimisation.learningRate"] = options.learningRate;
    partial = applySftOverrides(partial, flags);
    if (options.set && options.set.length > 0) partial = applySftOverrides(partial, options.set);
    return resolveSftConfig(partial);
}

export async function runSft(options: SftCommandOptions): Promise<{ steps: number; stopped: boolean; modelDir: string | null }> {
    const config = await sftConfigFromOptions(options);
    let progress: Progress | null = null;
    const trainer = await createSftTrainer(config, {
        resume: options.resume,
        onStep: (r) => {
            progress ??= new Progress({ total: r.totalSteps, label: "sft", plainEvery: config.logging.logEverySteps });
            progress.update(r.step, {
                loss: r.loss,
                lr: r.lr.toExponential(2),
                "grad norm": r.gradNorm,
                "tok/s": Math.round(r.tokensPerSecond),
                ...(r.evalLoss !== undefined ? { "eval loss": r.evalLoss } : {}),
            });
        },
    });
    const s = trainer.data.trainSummary;
    console.error(
        `sft: ${s.kept} of ${s.rows} rows (${s.truncated} truncated, ${s.droppedPromptTooLong} dropped: prompt reaches maxLength, ` +
            `${s.droppedEmpty} dropped: no completion tokens), ${s.lossTokens} completion tokens; ` +
            `${trainer.data.eval.length} held-out rows; ${trainer.totalSteps} steps` +
            (trainer.stepsDone > 0 ? `, resuming after step ${trainer.stepsDone}` : ""),
    );
    let interrupts = 0;
    const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        console.error("\nsft: stopping after this step (checkpointing); press Ctrl-C again to quit now");
        trainer.requestStop();
    };
    process.on("SIGINT", onSigint);
    try {
        const result = await trainer.train();
        (progress as Progress | null)?.done();
        console.error(
            result.modelDir
                ? `sft: done, ${result.steps} steps; model in ${result.modelDir}, metrics in ${trainer.metricsPath}`
                : `sft: stopped after step ${result.steps}; continue with --resume`,
        );
        return result;
    } finally {
        process.off("SIGINT", onSigint);
    }
}

export const sftCommand: CommandModule<object, SftCommandOptions> = {
    command: "sft",
    describe: "Supervised fine-tuning on completion tokens (cold start, rejection-sampled data, distillation)",
    builder: (y) =>
        y
            .option("config", { type: "string", describe: "SFT config file (JSON or YAML); flags override it" })
            .option("model", { type: "string", describe: "Starting model: a Hugging Face folder" })
            .option("data", { type: "string", describe: "Training rows (JSONL): data.path" })
            .option("output-dir", { type: "string", describe: "Run folder: checkpoints, metrics.jsonl, model/" })
            .option("epochs", { type: "number", describe: "training.epochs" })
            .option("max-steps", { type: "number", describe: "training.maxSteps (-1 = by epochs)" })
            .option("learning-rate", { type: "number", describe: "optimisation.learningRate" })
            .option("resume", { type: "boolean", default: false, describe: "Continue from the latest checkpoint in the output dir" })
            .option("set", { type: "string", array: true, describe: "Any config key: --set training.tokenBudget=8192" }) as unknown as Argv<SftCommandOptions>,
    handler: async (argv) => {
        await runSft(argv);
    },
};
