/**
 * `r1-native train`: GRPO from a config file plus flag overrides. With no
 * --config it runs the built-in R1-Zero demonstration (tiny model, arithmetic
 * task). Every config field is also a flag (`--generation.temperature 0.7`);
 * `--help` lists them with their defaults.
 */
import type { Argv, CommandModule } from "yargs";
import { DEMO_GRPO_CONFIG } from "../../demo/demoConfig.js";
import { applyOverrides, defaultGrpoConfig, type GrpoConfigInput, loadGrpoConfigFile, resolveGrpoConfig } from "../../train/grpo/config.js";
import { type GrpoRunSummary, runGrpo } from "../../train/grpo/runGrpo.js";
import { Progress } from "../progress.js";

export interface TrainOptions {
    config?: string;
    set?: string[];
    resume?: boolean;
    /** Dotted config fields given as flags. */
    [key: string]: unknown;
}

type Leaf = { path: string; value: unknown };

/** Leaf fields of the config (arrays count as leaves). */
function leaves(value: unknown, prefix = ""): Leaf[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ path: prefix, value }];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

function lookup(argv: Record<string, unknown>, dotted: string): unknown {
    let node: unknown = argv;
    for (const part of dotted.split(".")) {
        if (node === null || typeof node !== "object") return undefined;
        node = (node as Record<string, unknown>)[part];
    }
    return node;
}

/** The config a set of CLI options describes. */
export async function configFromOptions(options: TrainOptions): Promise<ReturnType<typeof resolveGrpoConfig>> {
    let partial: GrpoConfigInput = options.config ? await loadGrpoConfigFile(options.config) : DEMO_GRPO_CONFIG;
    const flags: Record<string, unknown> = {};
    for (const { path, value } of leaves(defaultGrpoConfig())) {
        const given = lookup(options, path);
        if (given === undefined) continue;
        flags[path] = Array.isArray(value) && typeof given === "string" ? JSON.parse(given) : given;
    }
    partial = applyOverrides(partial, flags);
    if (options.set?.length) partial = applyOverrides(partial, options.set);
    return resolveGrpoConfig(partial);
}

export async function runTrain(options: TrainOptions): Promise<GrpoRunSummary> {
    const config = await configFromOptions(options);
    const progress = new Progress({ total: config.optimisation.maxSteps, label: "grpo", plainEvery: 5 });
    const abort = new AbortController();
    const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        console.error("\nstopping after this step (a checkpoint is written); Ctrl-C again to quit at once");
        abort.abort();
    };
    process.on("SIGINT", onSigint);
    try {
        console.log(`r1-native train: ${config.model} on ${config.data.dataset} → ${config.outputDir}`);
        const summary = await runGrpo(config, {
            resume: options.resume,
            signal: abort.signal,
            onStep: (m) =>
                progress.update(m.step, {
                    reward: m.reward,
                    ...Object.fromEntries(Object.entries(m.rewards).map(([k, v]) => [k, v.mean])),
                    "tok/s": Math.round(m.timing.generationTokensPerSecond),
                }),
        });
        progress.done();
        const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
        console.log(`held-out accuracy: ${pct(summary.heldoutAccuracyBefore)} → ${pct(summary.heldoutAccuracyAfter)} in ${summary.seconds.toFixed(0)} s`);
        console.log(`summary: ${config.outputDir}/summary.json · model: ${summary.finalModel}`);
        return summary;
    } finally {
        process.off("SIGINT", onSigint);
    }
}

export const trainCommand: CommandModule<object, TrainOptions> = {
    command: "train",
    describe: "Train a policy with GRPO (the built-in R1-Zero demonstration when no --config is given)",
    builder: (y) => {
        let out = y
            .option("config", { type: "string", describe: "Config file (.yaml, .yml or .json); without it the built-in demo config is the base" })
            .option("set", { type: "array", string: true, describe: "Overrides as key=value (e.g. generation.temperature=0.7)" })
            .option("resume", { type: "boolean", default: false, describe: "Continue from the output directory's latest checkpoint" }) as Argv<object>;
        // Parent keys of dotted flags must be known too, or strict parsing rejects them.
        const parents = new Set(leaves(defaultGrpoConfig()).flatMap((l) => l.path.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))));
        for (const parent of parents) out = out.option(parent, { hidden: true }) as Argv<object>;
        const demo = new Map(leaves(resolveGrpoConfig(DEMO_GRPO_CONFIG)).map((l) => [l.path, JSON.stringify(l.value)]));
        for (const { path, value } of leaves(defaultGrpoConfig())) {
            const type = typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
            const shown = JSON.stringify(value);
            const demoValue = demo.get(path);
            out = out.option(path, {
                type,
                group: path.includes(".") ? `${path.split(".")[0]} options:` : "run options:",
                describe: `default: ${shown}${demoValue !== undefined && demoValue !== shown ? `; demo (no --config): ${demoValue}` : ""}${Array.isArray(value) ? " (JSON)" : ""}`,
            }) as Argv<object>;
        }
        return out as Argv<TrainOptions>;
    },
    handler: async (argv) => {
        await runTrain(argv);
    },
};
