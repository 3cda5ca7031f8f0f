/**
 * Prompt templates. `r1-zero` is DeepSeek-R1-Zero's template, word for word
 * (the question goes where `{prompt}` stands); `chat` renders the model's own
 * chat template through its tokenizer.
 */

export const R1_ZERO_PREAMBLE =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. " +
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. " +
    "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, " +
    "i.e., <think> reasoning process here </think> <answer> answer here </answer>. ";

export const R1_ZERO_TEMPLATE = `${R1_ZERO_PREAMBLE}User: {prompt}. Assistant:`;

export type PromptTemplateName = "r1-zero" | "chat";

/** The R1-Zero prompt for a question. */
export function r1ZeroPrompt(question: string): string {
    return R1_ZERO_TEMPLATE.replace("{prompt}", question);
}
