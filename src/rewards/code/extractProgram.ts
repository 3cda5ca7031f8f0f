/**
 * Pulls the program out of a model completion.
 *
 * The answer is what follows the last `</think>` (the whole completion when
 * there is no `</think>`, and nothing when a `<think>` was never closed: a
 * truncated completion has no answer). In the answer, the program is the last
 * closed fenced block tagged with the requested language (```python,
 * ```py, ```js ...); failing that, the last untagged fenced block; failing
 * that, when the completion had a `</think>`, the answer text itself (a model
 * that answers with bare code).
 */

export type CodeLanguage = "python" | "javascript";

export const LANGUAGE_TAGS: Readonly<Record<CodeLanguage, readonly string[]>> = {
    python: ["python", "python3", "py", "py3"],
    javascript: ["javascript", "js", "node", "nodejs", "mjs", "cjs"],
};

export interface ExtractOptions {
    /**
     * Accept the whole answer as the program when it has no fenced block and
     * no `</think>` either (models prompted to answer with bare code). Default false.
     */
    bareAnswer?: boolean;
}

interface FencedBlock {
    tag: string;
    body: string;
}

/** Closed fenced blocks (``` or ~~~, three or more) in order; an unclosed last block is dropped. */
export function fencedBlocks(text: string): FencedBlock[] {
    return scanFences(text).blocks;
}

function scanFences(text: string): { blocks: FencedBlock[]; unclosed: boolean } {
    const lines = text.split("\n");
    const blocks: FencedBlock[] = [];
    let open: { fence: string; tag: string; start: number } | null = null;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.replace(/\r$/, "");
        if (open === null) {
            const m = /^ {0,3}(`{3,}|~{3,})\s*([^\s`{]*)/.exec(line);
            if (m && !(m[1]!.startsWith("`") && line.slice(m.index + m[1]!.length).includes("`"))) {
                open = { fence: m[1]!, tag: m[2]!.toLowerCase(), start: i + 1 };
            }
        } else {
            const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
            if (m && m[1]![0] === open.fence[0] && m[1]!.length >= open.fence.length) {
                blocks.push({ tag: open.tag, body: lines.slice(open.start, i).join("\n") });
                open = null;
            }
        }
    }
    return { blocks, unclosed: open !== null };
}

/** The answer part of a completion, or null when the reasoning never closed. */
export function answerPart(completion: string): string | null {
    const close = completion.lastIndexOf("</think>");
    if (close >= 0) return completion.slice(close + "</think>".length);
    if (completion.includes("<think>")) return null;
    return completion;
}

/**
 * The program in `completion` for `language`, or null when there is none.
 * Leading/trailing blank lines are trimmed; indentation is kept.
 */
export function extractProgram(completion: string, language: CodeLanguage, options: ExtractOptions = {}): string | null {
    if (typeof completion !== "string") return null;
    const tags = LANGUAGE_TAGS[language];
    if (!tags) throw new TypeError(`language must be one of ${Object.keys(LANGUAGE_TAGS).join(", ")} (got ${String(language)})`);
    const answer = answerPart(completion);
    if (answer === null) return null;
    const { blocks, unclosed } = scanFences(answer);
    const tagged = blocks.filter((b) => tags.includes(b.tag));
    const untagged = blocks.filter((b) => b.tag === "");
    const chosen = tagged.at(-1) ?? untagged.at(-1);
    let program: string | undefined;
    if (chosen) program = chosen.body;
    else if (blocks.length === 0 && !unclosed && (completion.includes("</think>") || options.bareAnswer)) program = answer;
    if (program === undefined) return null;
    const trimmed = program.replace(/^(\s*\n)+/, "").trimEnd();
    return trimmed.length > 0 ? trimmed : null;
}
