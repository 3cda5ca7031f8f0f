/**
 * The GEMM peer: OpenBLAS sgemm timed through numpy (`np.matmul(x, w.T, out=y)`,
 * the same reused output our side gets) in a python3 child
 * process, when python3 with numpy is present (it is not a dependency; the
 * benchmark reports "unavailable" otherwise). OPENBLAS_CORETYPE/L2_SIZE are
 * cleared in the child only, as older OpenBLAS builds pinned to a slow kernel
 * otherwise.
 */
import { spawnSync } from "node:child_process";

export interface GemmShape {
    m: number;
    n: number;
    k: number;
}

export interface PeerResult {
    library: string;
    /** Best time in ms per shape, in input order. */
    bestMs: number[];
}

const script = String.raw`
import json, sys, time
import numpy as np
try:
    from threadpoolctl import threadpool_info
    lib = ";".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in threadpool_info())
except Exception:
    lib = "numpy " + np.__version__
req = json.loads(sys.stdin.read())
rng = np.random.default_rng(0)
out = []
for s in req["shapes"]:
    x = rng.standard_normal((s["m"], s["k"]), dtype=np.float32)
    w = rng.standard_normal((s["n"], s["k"]), dtype=np.float32)
    wt = w.T
    y = np.matmul(x, wt)
    best = 1e30
    for _ in range(req["reps"]):
        t0 = time.perf_counter(); np.matmul(x, wt, out=y); best = min(best, time.perf_counter() - t0)
    out.append(best * 1e3)
print(json.dumps({"library": lib, "bestMs": out}))
`;

/** Times `y = x·wᵀ` into a reused output for each shape with `threads` OpenBLAS threads; null when unavailable. */
export function timeOpenBlas(shapes: GemmShape[], threads: number, reps: number): PeerResult | null {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const child = spawnSync("python3", ["-c", script], {
        input: JSON.stringify({ shapes, reps }),
        env,
        encoding: "utf8",
        timeout: 600_000,
    });
    if (child.status !== 0) return null;
    try {
        return JSON.parse(child.stdout.trim().split("\n").pop() ?? "") as PeerResult;
    } catch {
        return null;
    }
}
