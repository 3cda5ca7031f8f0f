/**
 * String-level normalisation of an extracted answer, before parsing.
 *
 * Removes what does not change the value (spacing commands, \left/\right, \displaystyle, units,
 * currency, trailing punctuation), rewrites notational variants to one spelling (\dfrac → \frac,
 * unicode symbols → LaTeX, ^\circ → °, \% → %), and resolves number formatting (thousands
 * separators, decimal commas, mixed numbers).
 *
 * An ambiguous spelling gives more than one candidate: a predicted "3,5" is 3.5 with a decimal
 * comma or the two answers 3 and 5, and the comparison accepts either. It is decided by the gold:
 * a gold "3,5" is read as the list only, so 3.5 does not match a gold pair of answers.
 */

const unicodeMap: [RegExp, string][] = [
    [/[\u2212\u2013\u2014]/g, "-"],
    [/\u00d7/g, "\\times "],
    [/[\u00b7\u22c5]/g, "\\cdot "],
    [/\u00f7/g, "\\div "],
    [/\u221a/g, "\\sqrt "],
    [/\u03c0/g, "\\pi "],
    [/\u221e/g, "\\infty "],
    [/\u2264/g, "\\le "],
    [/\u2265/g, "\\ge "],
    [/\u2260/g, "\\ne "],
    [/\u222a/g, "\\cup "],
    [/\u2229/g, "\\cap "],
    [/\u2208/g, "\\in "],
    [/\u00b1/g, "\\pm "],
    [/\u2205/g, "\\emptyset "],
    [/\u211d/g, "\\mathbb{R}"],
    [/\u00b2/g, "^2"],
    [/\u00b3/g, "^3"],
    [/[\u00a0\u2009\u202f]/g, " "],
];

/** Units that may follow a number; matched as whole words, case-insensitively. */
const unitWords = [
    "mm", "cm", "km", "meters?", "metres?", "inch(?:es)?", "feet", "foot", "ft", "yards?", "yd", "miles?",
    "mph", "kph", "km/h", "kg", "grams?", "lbs?", "pounds?", "ounces?", "oz", "sec(?:ond)?s?",
    "min(?:ute)?s?", "hours?", "hrs?", "days?", "weeks?", "months?", "years?", "liters?", "litres?", "ml",
    "gallons?", "units?", "dollars?", "cents?", "usd", "euros?", "radians?", "rad", "sq\\.?\\s*units?",
    "square\\s+(?:units?|meters?|feet|inches|cm|centimeters?)", "cubic\\s+(?:units?|meters?|feet|inches|cm)",
    "centimeters?", "millimeters?", "kilometers?", "cm\\^?\\{?[23]\\}?", "km\\^?\\{?[23]\\}?",
];
const unitAlternation = unitWords.join("|");
const trailingUnit = new RegExp(
    `(?<=[\\d}).°%]\\s*)(?:${unitAlternation})(?:\\s*(?:/|per)\\s*(?:${unitAlternation}|s|h))?\\.?(?![A-Za-z])`,
    "gi",
);
/** Units that are only removed when typeset as \text{…} / \mathrm{…} after a number. */
const typesetUnit = new RegExp(`^\\s*(?:${unitAlternation}|m|s|g|h|l|L|m/s|km/h|m\\^2|cm\\^2)\\s*\\.?\\s*$`, "i");

// The optional exponent after the group is the unit's ("\text{cm}^2"), dropped with it.
const textCommand = /\\(?:text|textbf|textit|textrm|textsf|textnormal|mathrm|mathbf|mathit|mathsf|mbox|boldsymbol|bm|operatorname)\s*\{([^{}]*)\}(\s*\^\s*\{?\s*[23]\s*\}?)?/g;

export interface NormalizedAnswer {
    /** Normalised candidates; the first is the preferred reading. */
    candidates: string[];
}

export interface NormalizeOptions {
    /**
     * Offer the decimal-comma reading of "3,5" (3.5) beside the list reading (3 and 5).
     * On for predictions; off for gold answers, where a list is the safer reading. Default true.
     */
    decimalComma?: boolean;
}

export function normalizeAnswer(raw: string, options: NormalizeOptions = {}): NormalizedAnswer {
    let s = raw;
    for (const [pattern, replacement] of unicodeMap) s = s.replace(pattern, replacement);

    s = s.replace(/(?<!\\)\$/g, " ");
    s = s.replace(/\\\$/g, " ");
    s = s.replace(/\\(?:left|right)\s*\.(?!\d)/g, " ");
    s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])/g, "");
    s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])/g, "");

    // Digit grouping typeset in LaTeX: 1\,000 and 1{,}000 (a {,} before other digit counts is a decimal comma).
    s = s.replace(/(\d)(?:\\,|\{,\})(?=\d{3}(?!\d))/g, "$1");
    s = s.replace(/(\d)\{,\}(?=\d)/g, "$1.");

    // Spacing commands; the lookbehind keeps a matrix row separator (two backslashes) intact.
    s = s.replace(/(?<!\\)\\(?:[,;:! ]|q?quad(?![a-zA-Z]))/g, " ").replace(/~/g, " ");
    s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, "\\frac").replace(/\\[dt]binom(?![a-zA-Z])/g, "\\binom");
    s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\^\s*\{\s*o\s*\}/g, "°");
    s = s.replace(/\\%/g, "%");
    s = s.replace(/\\mathbb\s*\{?\s*R\s*\}?/g, "(-\\infty,\\infty)");
    s = s.replace(/\\varnothing(?![a-zA-Z])|\\\{\s*\\\}/g, "\\emptyset ");

    s = unwrapTextCommands(s);

    s = s.replace(/(?<=\d\s*)degrees?(?![A-Za-z])/gi, "°");
    s = s.replace(/(?<=\d\s*)percent(?![A-Za-z])/gi, "%");
    s = s.replace(/^\s*(?:USD|Rs\.?|€|£|¥)\s*/i, "").replace(/[€£¥]/g, "");
    s = s.replace(trailingUnit, "");
    s = s.replace(/^\s*(all real numbers|all reals)\s*$/i, "(-\\infty,\\infty)");
    s = dropTrailingWords(s);

    s = s.replace(/\s+/g, " ").trim();
    // A trailing "!" stays: in an extracted answer it is a factorial ("5!").
    s = s.replace(/^[=:]\s*/, "").replace(/[\s.,;:?]+$/, "").trim();
    s = mixedNumber(s);
    s = removeThousandsSeparators(s);

    const decimalComma = options.decimalComma === false ? null : /^(-?\d+),(\d+)$/.exec(s);
    if (decimalComma !== null) {
        return { candidates: [`${decimalComma[1]}.${decimalComma[2]}`, s] };
    }
    return { candidates: [s] };
}

/** \text{…} and friends: drop typeset units after a number, keep other content as plain words. */
function unwrapTextCommands(input: string): string {
    let s = input;
    for (let pass = 0; pass < 6; pass++) {
        const before = s;
        s = s.replace(textCommand, (_match, content: string, power: string | undefined, offset: number, whole: string) => {
            const prefix = whole.slice(0, offset).trimEnd();
            const afterValue = /[\d})°%]$/.test(prefix);
            if (afterValue && typesetUnit.test(content)) return " ";
            return ` ${content} ${power ?? ""}`;
        });
        if (s === before) break;
    }
    return s;
}

/** "12 apples" → "12": words after a plain number, when they are not "and"/"or" lists. */
function dropTrailingWords(s: string): string {
    const m = /^\s*(-?[\d.,/]+\s*[°%]?)\s+([A-Za-z]{3,}(?:\s+[A-Za-z]+){0,3})\s*\.?\s*$/.exec(s);
    if (m === null) return s;
    if (/\b(?:and|or|to|pi|sqrt|infinity|inf)\b/i.test(m[2]!)) return s;
    return m[1]!;
}

/** 2\frac{1}{2} and "2 1/2" → (2+\frac{1}{2}); only for proper fractions of plain integers. */
function mixedNumber(s: string): string {
    const latex = /^(-?)(\d+)\s*\\frac\s*(?:\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}|(\d)(\d))$/.exec(s);
    const plain = /^(-?)(\d+)\s+(\d+)\s*\/\s*(\d+)$/.exec(s);
    const m = latex ?? plain;
    if (m === null) return s;
    const sign = m[1]!;
    const whole = m[2]!;
    const num = m[3] ?? m[5]!;
    const den = m[4] ?? m[6]!;
    if (!(Number(num) < Number(den))) return s;
    return `${sign}(${whole}+\\frac{${num}}{${den}})`;
}

/** Remove 1,234,567-style grouping outside brackets (inside brackets a comma separates items). */
function removeThousandsSeparators(s: string): string {
    if (/^\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s)) return s.replace(/ /g, "");
    if (!s.includes(",")) return s;
    const depth = new Int32Array(s.length);
    let d = 0;
    for (let i = 0; i < s.length; i++) {
        const c = s[i]!;
        if (c === "(" || c === "[" || c === "{") d++;
        else if (c === ")" || c === "]" || c === "}") d = Math.max(0, d - 1);
        depth[i] = d;
    }
    return s.replace(/(?<![\d.])([1-9]\d{0,2})((?:,\d{3})+)(?![\d])/g, (match, _lead, _groups, offset: number) =>
        depth[offset] === 0 ? match.replace(/,/g, "") : match,
    );
}
