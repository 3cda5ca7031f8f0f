#!/usr/bin/env node
// The `r1-native` command. The CLI is compiled to dist/ by `npm install` (prepare).
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
