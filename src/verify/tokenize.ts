/**
 * Tokens of a normalised answer, LaTeX and plain text alike: numbers, words, LaTeX commands
 * and operator characters. Unknown multi-letter words are split into single-letter symbols
 * (implicit multiplication, as in "2xy"); known function and constant names stay whole.
 */

export type TokenType = "num" | "word" | "cmd" | "op";

export interface Token {
    t: TokenType;
    v: string;
}

/** Plain-text words that keep their meaning: functions, constants, list separators. */
export const plainWords = new Set([
    "sqrt", "cbrt", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "asin", "acos",
    "atan", "sinh", "cosh", "tanh", "ln", "log", "exp", "abs", "floor", "ceil", "max", "min", "gcd", "lcm",
    "pi", "inf", "infty", "infinity", "oo", "and", "or",
]);

export class TokenizeError extends Error {}

export function tokenize(s: string): Token[] {
    const out: Token[] = [];
    let i = 0;
    while (i < s.length) {
        const c = s[i]!;
        if (c === " " || c === "\t" || c === "\n" || c === "\r") {
            i++;
            continue;
        }
        if (isDigit(c) || (c === "." && isDigit(s[i + 1] ?? ""))) {
            let j = i;
            while (j < s.length && isDigit(s[j]!)) j++;
            if (s[j] === "." && isDigit(s[j + 1] ?? "")) {
                j++;
                while (j < s.length && isDigit(s[j]!)) j++;
            }
            // Scientific notation in plain text: 3e8, 1.5E-3 (not "2e" = 2·e, nor "2ex").
            const exp = /^[eE][+-]?\d+/.exec(s.slice(j, j + 12));
            if (exp !== null && !/[A-Za-z]/.test(s[j + exp[0].length] ?? "")) j += exp[0].length;
            out.push({ t: "num", v: s.slice(i, j) });
            i = j;
            continue;
        }
        if (isLetter(c)) {
            let j = i;
            while (j < s.length && isLetter(s[j]!)) j++;
            const word = s.slice(i, j);
            if (plainWords.has(word.toLowerCase()) && word.length > 1) {
                out.push({ t: "word", v: word.toLowerCase() });
            } else {
                for (const letter of word) out.push({ t: "word", v: letter });
            }
            i = j;
            continue;
        }
        if (c === "\\") {
            const next = s[i + 1] ?? "";
            if (isLetter(next)) {
                let j = i + 1;
                while (j < s.length && isLetter(s[j]!)) j++;
                const name = s.slice(i + 1, j);
                if (name === "begin" || name === "end") {
                    const env = /^\s*\{\s*([A-Za-z]+\*?)\s*\}/.exec(s.slice(j, j + 40));
                    if (env === null) throw new TokenizeError(`\\${name} without an environment name`);
                    out.push({ t: "cmd", v: `${name}:${env[1]}` });
                    j += env[0].length;
                    if (name === "begin" && env[1] === "array") {
                        const spec = /^\s*\{[^{}]*\}/.exec(s.slice(j, j + 40));
                        if (spec !== null) j += spec[0].length;
                    }
                } else {
                    out.push({ t: "cmd", v: name });
                }
                i = j;
            } else if (next === "\\") {
                out.push({ t: "op", v: "\\\\" });
                i += 2;
            } else if (next === "") {
                i++;
            } else {
                out.push({ t: "cmd", v: next });
                i += 2;
            }
            continue;
        }
        const two = s.slice(i, i + 2);
        if (two === "<=" || two === ">=" || two === "!=" || two === "==" || two === "**") {
            out.push({ t: "op", v: two === "==" ? "=" : two === "**" ? "^" : two });
            i += 2;
            continue;
        }
        out.push({ t: "op", v: c });
        i++;
    }
    return out;
}

function isDigit(c: string): boolean {
    return c >= "0" && c <= "9";
}

function isLetter(c: string): boolean {
    return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}
