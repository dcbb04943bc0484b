/** One problem in the user's config: where it is and what is allowed there. */
export interface ConfigProblem {
    /** The config path, e.g. `berth:apps[0].hosts.beat`. */
    propertyPath: string;
    reason: string;
}

/** Every problem of a config, raised once, before any resource is registered. */
export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `berth: the stack config has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((problem) => `  - ${problem.propertyPath}: ${problem.reason}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}
