/**
 * `r1-native run <recipe.yaml>`: a multi-stage recipe (src/recipes), stage after stage, with a
 * progress line per stage. A rerun skips finished stages and resumes an interrupted one;
 * --from-stage reruns a stage and those after it from scratch.
 */
import type { Argv, CommandModule } from "yargs";
import { type RecipeEvent, type RecipeSummary, runRecipeFile } from "../../recipes/runRecipe.js";
import { Progress } from "../progress.js";

export interface RunCommandOptions {
    recipe: string;
    fromStage?: string;
    untilStage?: string;
    outputDir?: string;
    smoke: boolean;
    set?: string[];
}

export async function runRecipeCommand(options: RunCommandOptions): Promise<RecipeSummary> {
    const abort = new AbortController();
    const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        console.error("\nstopping after this step (the stage checkpoints; rerun to resume); Ctrl-C again to quit at once");
        abort.abort();
    };
    process.on("SIGINT", onSigint);
    let progress: Progress | null = null;
    const onEvent = (e: RecipeEvent) => {
        if (e.type === "stage-step") {
            progress ??= new Progress({ total: e.steps, label: `[${e.index + 1}/${e.total}] ${e.name}`, plainEvery: Math.max(1, Math.ceil(e.steps / 10)) });
            progress.update(e.step, e.fields);
        } else if (e.type === "stage-done" || e.type === "stage-stopped") {
            progress?.done();
            progress = null;
        }
    };
    try {
        const summary = await runRecipeFile(options.recipe, {
            ...(options.outputDir !== undefined ? { outputDir: options.outputDir } : {}),
            ...(options.fromStage !== undefined ? { fromStage: options.fromStage } : {}),
            ...(options.untilStage !== undefined ? { untilStage: options.untilStage } : {}),
            smoke: options.smoke,
            set: options.set ?? [],
            signal: abort.signal,
            onEvent,
        });
        const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
        console.log(`recipe ${summary.recipe}: ${summary.completed ? "done" : "not finished"} in ${summary.seconds.toFixed(0)} s`);
        for (const s of summary.stages) {
            const heldout = s.heldoutAccuracyBefore !== null || s.heldoutAccuracyAfter !== null ? ` · held-out ${pct(s.heldoutAccuracyBefore)} → ${pct(s.heldoutAccuracyAfter)}` : "";
            console.log(`  ${s.name.padEnd(20)} ${s.trainer.padEnd(18)} ${s.status.padEnd(8)}${heldout}`);
        }
        console.log(`summary: ${summary.outputDir}/recipe_summary.json · final model: ${summary.finalModel ?? "none"}`);
        return summary;
    } finally {
        process.off("SIGINT", onSigint);
    }
}

export const runCommand: CommandModule<object, RunCommandOptions> = {
    command: "run <recipe>",
    describe: "Run a multi-stage recipe (YAML/JSON): R1-Zero, R1, SRPO, distillation (see recipes/)",
    builder: (y) =>
        y
            .positional("recipe", { type: "string", demandOption: true, describe: "Recipe file (.yaml, .yml or .json)" })
            .option("from-stage", { type: "string", describe: "Rerun this stage and every later one from scratch" })
            .option("until-stage", { type: "string", describe: "Stop after this stage" })
            .option("output-dir", { type: "string", describe: "Replace the recipe's outputDir" })
            .option("smoke", { type: "boolean", default: false, describe: "A few steps per stage on a few rows, to check the recipe end to end" })
            .option("set", {
                type: "string",
                array: true,
                describe: "Overrides: <stage>.<field>=value (e.g. reasoning_rl.config.optimisation.maxSteps=10) or a recipe field (seed=7)",
            }) as unknown as Argv<RunCommandOptions>,
    handler: async (argv) => {
        const summary = await runRecipeCommand(argv);
        if (!summary.completed) process.exitCode = 1;
    },
};
