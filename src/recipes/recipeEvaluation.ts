/**
 * The recipe's held-out evaluation: pass@1 (k samples per problem) of a model on the recipe's
 * evaluation set, the same problems and settings for the base model and every stage's output,
 * so the numbers in recipe_summary.json line up stage by stage.
 */
import { type EvalResult, evaluateMath } from "../eval/evaluateMath.js";
import { Policy } from "../model/policy.js";
import { loadRows, resolveModelPath } from "../train/grpo/runGrpo.js";
import type { RecipeEvaluation } from "./schema.js";
import { renderPrompt } from "../data/promptTemplates.js";

/** Evaluates `model` (a folder or "builtin:<name>"); problems come from the evaluation's dataset, seeded by `seed`. */
export async function evaluateRecipeModel(model: string, evaluation: RecipeEvaluation, seed: number): Promise<EvalResult> {
    const policy = await Policy.fromPretrained(resolveModelPath(model));
    const rows = (await loadRows(evaluation.dataset, "heldout", evaluation.problems, seed)).slice(0, evaluation.problems);
    const items = rows.map((row, i) => {
        const question = row.prompt ?? row.problem ?? row.question;
        const gold = row.answer ?? row.solution;
        if (typeof question !== "string") throw new Error(`evaluation.dataset ${evaluation.dataset}: row ${i + 1} has no string prompt, problem or question column`);
        if (gold === undefined || gold === null) throw new Error(`evaluation.dataset ${evaluation.dataset}: row ${i + 1} has no answer or solution column`);
        return { prompt: renderPrompt(evaluation.promptTemplate, question, policy.tokenizer, evaluation.systemPrompt), gold: String(gold) };
    });
    if (items.length === 0) throw new Error(`evaluation.dataset ${evaluation.dataset} has no rows`);
    return evaluateMath(policy, items, {
        k: evaluation.samples,
        temperature: evaluation.temperature,
        topP: evaluation.topP,
        maxNewTokens: evaluation.maxNewTokens,
        seed,
    });
}
