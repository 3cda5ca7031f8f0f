import { describe, expect, test } from "vitest";
import { HistoryResampler } from "../../../src/algo/historyResampling.js";

describe("HistoryResampler", () => {
    test("drops all-correct prompts, keeps mixed, all-wrong and unseen ones", () => {
        const h = new HistoryResampler();
        h.record("p1", [1, 1, 1, 1]);
        h.record("p2", [1, 0, 1, 1]);
        h.record("p3", [0, 0, 0, 0]);
        h.record("p4", [1, 1]);
        h.record("p4", [1, 0]); // accumulates within the epoch
        h.record("p5", [1, 1]);
        h.record("p5", [true, true]);
        const summary = h.endEpoch();
        expect(summary).toEqual({ epoch: 0, kept: ["p2", "p3", "p4"], dropped: ["p1", "p5"], excluded: 2 });
        expect(h.filterDataset(["p1", "p2", "p3", "p4", "p5", "p6"])).toEqual(["p2", "p3", "p4", "p6"]);
        expect(h.isExcluded("p1")).toBe(true);
        expect(h.isExcluded("p6")).toBe(false);
        expect(h.currentEpoch).toBe(1);
    });

    test("permanent mode: a dropped prompt stays out though it has no record later", () => {
        const h = new HistoryResampler();
        h.record(1, [1, 1]);
        h.record(2, [0, 1]);
        h.endEpoch();
        h.record(2, [1, 1]);
        const s = h.endEpoch();
        expect(s.dropped).toEqual([2]);
        expect(s.excluded).toBe(2);
        expect(h.filterDataset([1, 2, 3])).toEqual([3]);
    });

    test("perEpoch mode: excluded for one epoch, then tried again", () => {
        const h = new HistoryResampler({ mode: "perEpoch" });
        h.record(1, [1, 1]);
        h.endEpoch();
        expect(h.filterDataset([1, 2])).toEqual([2]);
        h.record(2, [0, 1]);
        h.endEpoch();
        expect(h.filterDataset([1, 2])).toEqual([1, 2]);
    });

    test("threshold: a rollout is correct when its value is >= threshold; NaN never is", () => {
        const h = new HistoryResampler({ threshold: 0.5 });
        h.record("a", [0.6, 0.9, 0.5]);
        h.record("b", [0.4, 1]);
        h.record("c", [1, Number.NaN]);
        h.record("d", []); // no rollouts: no evidence, kept
        const s = h.endEpoch();
        expect(s.dropped).toEqual(["a"]);
        expect(s.kept).toEqual(["b", "c", "d"]);
    });

    test("string and number ids are distinct", () => {
        const h = new HistoryResampler();
        h.record(1, [1]);
        h.endEpoch();
        expect(h.filterDataset<string | number>([1, "1"])).toEqual(["1"]);
    });

    test("filterItems by an id function", () => {
        const h = new HistoryResampler();
        h.record("x", [1, 1]);
        h.endEpoch();
        const rows = [{ id: "x" }, { id: "y" }];
        expect(h.filterItems(rows, (r) => r.id)).toEqual([{ id: "y" }]);
    });

    test("state round trip mid-epoch gives the same decisions", () => {
        const a = new HistoryResampler({ threshold: 0.9 });
        a.record("p1", [1, 1]);
        a.endEpoch();
        a.record("p2", [1, 1]);
        a.record("p3", [1, 0]);
        const b = HistoryResampler.fromState(JSON.parse(JSON.stringify(a.state())));
        a.record("p2", [1]);
        b.record("p2", [1]);
        expect(b.endEpoch()).toEqual(a.endEpoch());
        expect(b.state()).toEqual(a.state());
        expect(b.threshold).toBe(0.9);
    });

    test("bad input names the field", () => {
        expect(() => new HistoryResampler({ threshold: Number.NaN })).toThrow(/historyResampling\.threshold/);
        const h = new HistoryResampler();
        expect(() => h.record({} as never, [1])).toThrow(/promptId/);
        expect(() => h.record("p", ["1" as never])).toThrow(/rollouts\[0\]/);
        expect(() => HistoryResampler.fromState({ ...h.state(), records: [["p", 1, 2]] })).toThrow(/correct <= rollouts/);
    });
});
