/**
 * Child process of the crash test: distils `count` "Compute A + 10." prompts against the fake
 * server at argv[2] into argv[3], until it is killed.
 */
import { distill } from "../../../src/distill/distill.js";

const [url, output, count] = process.argv.slice(2);
const rows = Array.from({ length: Number(count) }, (_, a) => ({
    row: { prompt: `Compute ${a} + 10.`, answer: String(a + 10) },
    source: { file: "problems.jsonl", line: a + 1 },
}));
await distill(rows, { client: { baseUrl: url!, model: "teacher", backoffMs: 1, maxBackoffMs: 5 }, output: output!, samplesPerPrompt: 2, concurrency: 4, syncEvery: 1 });
