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

/** What `chat` needs of a tokenizer (HfTokenizer has it). */
export interface ChatRenderer {
    applyChatTemplate(messages: { role: string; content: string }[], options: { addGenerationPrompt: boolean }): string;
}

/**
 * A question rendered as a prompt: `r1-zero` fills R1-Zero's template, `chat` renders the
 * model's chat template (an optional system turn, then the user turn, then the generation
 * prompt), `none` leaves the question as it is.
 */
export function renderPrompt(
    template: PromptTemplateName | "none",
    question: string,
    tokenizer: ChatRenderer | null,
    systemPrompt: string | null = null,
): string {
    if (template === "r1-zero") return r1ZeroPrompt(question);
    if (template === "none") return question;
    if (!tokenizer) throw new Error('prompt template "chat" needs a tokenizer with a chat template');
    const messages = [...(systemPrompt !== null ? [{ role: "system", content: systemPrompt }] : []), { role: "user", content: question }];
    return tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
}

/** The R1-Zero prompt for a question. */
export function r1ZeroPrompt(question: string): string {
    return R1_ZERO_TEMPLATE.replace("{prompt}", question);
}
