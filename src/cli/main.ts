/** The `r1-native` command line: one yargs command module per file in ./commands. */
import yargs from "yargs";
import { benchCommand } from "./commands/bench.js";
import { dataCommand } from "./commands/data.js";
import { evalCommand } from "./commands/eval.js";
import { makeDemoModelCommand } from "./commands/makeDemoModel.js";
import { trainCommand } from "./commands/train.js";
import { verifyCommand } from "./commands/verify.js";
import { sftCommand } from "./commands/sft.js";
import { rejectionSampleCommand } from "./commands/rejectionSample.js";
import { runCommand } from "./commands/run.js";
import { version } from "../version.js";

export async function main(argv: string[]): Promise<void> {
    await yargs(argv)
        .scriptName("r1-native")
        .usage("$0 <command> [options]\n\nTrain reasoning models the DeepSeek-R1 way.")
        .command(trainCommand)
        .command(evalCommand)
        .command(makeDemoModelCommand)
        .command(benchCommand)
        .command(dataCommand)
        .command(verifyCommand)
        .command(sftCommand)
        .command(rejectionSampleCommand)
        .command(runCommand)
        .demandCommand(1, "Name a command; `r1-native --help` lists them.")
        .strict()
        .version(version)
        .help()
        .alias("h", "help")
        .wrap(Math.min(110, process.stdout.columns ?? 110))
        .fail((message, error, instance) => {
            if (error) throw error;
            console.error(`${instance.help()}\n\n${message}`);
            process.exit(1);
        })
        .parseAsync();
}
