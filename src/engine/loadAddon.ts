/**
 * Finds and loads the native addon once: a local build (`build/Release`) or the
 * prebuilt binary for this platform (`prebuilds/<platform>-<arch>/`), through
 * node-gyp-build. A missing binary gives an error that says how to build it.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { Addon } from "./AddonTypes.js";

const require = createRequire(import.meta.url);
/** The package root: two levels above `src/engine` or `dist/engine`. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

let cached: Addon | undefined;

export function loadAddon(): Addon {
    if (cached) return cached;
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => unknown;
    try {
        cached = nodeGypBuild(packageRoot) as Addon;
    } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
            `r1-native: could not load the native addon from ${packageRoot} (${reason}). ` +
                "Build it with `npm run build:native` (needs a C++17 compiler and python3), " +
                "or reinstall the package so its prebuilt binary is used.",
        );
    }
    return cached;
}
