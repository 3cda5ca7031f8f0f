import { describe, expect, test } from "vitest";
import { DynamicSamplingBuffer, type Group } from "../../../src/algo/dynamicSampling.js";

interface Scored extends Group {
    promptIndex: number;
    rewards: number[];
    tag: string;
}

const g = (promptIndex: number, rewards: number[], tag = `p${promptIndex}`): Scored => ({ promptIndex, rewards, tag });

describe("DynamicSamplingBuffer", () => {
    test("drops equal-reward groups and fills across rounds; the surplus is cut", () => {
        const buffer = new DynamicSamplingBuffer<Scored>(2, 3);
        expect(buffer.needsMore()).toBe(true);
        expect(buffer.add([g(0, [1, 1, 1, 1]), g(1, [1, 0, 0, 1])])).toBe(1);
        expect(buffer.full()).toBe(false);
        expect(buffer.missing()).toBe(1);
        expect(buffer.needsMore()).toBe(true);
        expect(buffer.add([g(2, [0, 0, 0, 0]), g(3, [0, 0.5, 0, 0]), g(4, [1, 0, 1, 1])])).toBe(1);
        expect(buffer.full()).toBe(true);
        expect(buffer.needsMore()).toBe(false);
        expect(buffer.metrics()).toEqual({
            rounds: 2,
            generatedGroups: 5,
            keptGroups: 3,
            droppedGroups: 2,
            surplusGroups: 1,
            paddedGroups: 0,
            filledShort: false,
        });
        const taken = buffer.take();
        expect(taken.map((x) => x.tag)).toEqual(["p1", "p3"]);
        // Reset for the next step.
        expect(buffer.roundsUsed).toBe(0);
        expect(buffer.metrics().keptGroups).toBe(0);
        expect(buffer.needsMore()).toBe(true);
    });

    test("after maxRounds the step goes on short (partial)", () => {
        const buffer = new DynamicSamplingBuffer<Scored>(3, 2);
        buffer.add([g(0, [1, 0]), g(1, [0, 0])]);
        expect(buffer.needsMore()).toBe(true);
        buffer.add([g(2, [1, 1]), g(3, [0, 1])]);
        expect(buffer.needsMore()).toBe(false);
        const m = buffer.metrics();
        expect(m.filledShort).toBe(true);
        expect(m.keptGroups).toBe(2);
        expect(buffer.take().map((x) => x.promptIndex)).toEqual([0, 3]);
    });

    test("padZeroStd tops a short batch up with dropped groups", () => {
        const buffer = new DynamicSamplingBuffer<Scored>(3, 1, "padZeroStd");
        buffer.add([g(0, [1, 1]), g(1, [0, 1]), g(2, [0, 0]), g(3, [1, 1])]);
        const m = buffer.metrics();
        expect(m.filledShort).toBe(true);
        expect(m.paddedGroups).toBe(2);
        expect(buffer.take().map((x) => x.promptIndex)).toEqual([1, 0, 2]);
    });

    test("all groups dropped: take() is empty after maxRounds", () => {
        const buffer = new DynamicSamplingBuffer<Scored>(2, 2);
        buffer.add([g(0, [1, 1])]);
        buffer.add([g(1, [0, 0])]);
        expect(buffer.metrics().filledShort).toBe(true);
        expect(buffer.take()).toEqual([]);
    });

    test("NaN rewards: fewer than two scorable values is no spread", () => {
        const nan = Number.NaN;
        const buffer = new DynamicSamplingBuffer<Scored>(5, 1);
        expect(buffer.add([g(0, [1, nan, nan, nan]), g(1, [1, nan, 0, nan]), g(2, [nan, nan])])).toBe(2);
        expect(buffer.take().map((x) => x.promptIndex)).toEqual([1]);
    });

    test("take() while more rounds are allowed and the batch is short throws", () => {
        const buffer = new DynamicSamplingBuffer<Scored>(2, 5);
        buffer.add([g(0, [1, 0])]);
        expect(() => buffer.take()).toThrow(/needsMore/);
    });

    test("a loop written as the doc comment says stops at full or maxRounds", () => {
        // Round r offers two groups, one informative every third round.
        const buffer = new DynamicSamplingBuffer<Scored>(2, 10);
        let round = 0;
        while (buffer.needsMore()) {
            const informative = round % 3 === 2;
            buffer.add([g(2 * round, [1, 1]), g(2 * round + 1, informative ? [0, 1] : [0, 0])]);
            round++;
        }
        expect(round).toBe(6);
        expect(buffer.take().map((x) => x.promptIndex)).toEqual([5, 11]);
    });

    test("bad arguments name the field", () => {
        expect(() => new DynamicSamplingBuffer(0, 1)).toThrow(/targetGroups/);
        expect(() => new DynamicSamplingBuffer(1, 0)).toThrow(/dynamicSampling\.maxRounds/);
        const buffer = new DynamicSamplingBuffer(1, 1);
        expect(() => buffer.add([{ promptIndex: -1, rewards: [1, 0] }])).toThrow(/promptIndex/);
        expect(() => buffer.add([{ promptIndex: 0, rewards: [] }])).toThrow(/rewards/);
    });
});
