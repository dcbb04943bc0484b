import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** Policy options for a stack's preview and up: berth's pack, and the stack's policy config if it has one. */
export interface PolicyOptions {
    policyPacks: string[];
    policyPackConfigs: string[];
}

/**
 * berth's policy pack (policy/) runs in every preview and deploy the driver
 * makes: mandatory unless `policy/<stack>.json` lowers it (the lab's does).
 */
export function policyOptions(stackName: string): PolicyOptions {
    const policyDirectory = join(projectRoot(), "policy");
    const stackConfig = join(policyDirectory, `${stackName}.json`);
    return {
        policyPacks: [join(policyDirectory, "berth-policy")],
        policyPackConfigs: existsSync(stackConfig) ? [stackConfig] : [],
    };
}

/** The checkout this CLI belongs to, from cli/ or its compiled copy in dist/cli/. */
function projectRoot(): string {
    for (let directory = __dirname; directory !== dirname(directory); directory = dirname(directory)) {
        if (existsSync(join(directory, "policy", "berth-policy"))) {
            return directory;
        }
    }
    throw new Error(`berth's policy pack (policy/berth-policy) was not found above ${__dirname}`);
}
