/** r1-native: the public API. */
export { kernels, runtimeInfo, setNumThreads } from "./engine/kernels.js";
export type * from "./engine/AddonTypes.js";
export { version } from "./version.js";
