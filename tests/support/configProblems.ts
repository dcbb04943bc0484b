import { ConfigError, RawConfig, validateConfig } from "../../components/config";

/** The problems validateConfig reports for a config, as "path: reason" lines; [] when it is valid. */
export function problemsOf(raw: RawConfig): string[] {
    try {
        validateConfig(raw);
    } catch (error) {
        if (error instanceof ConfigError) {
            return error.problems.map((problem) => `${problem.propertyPath}: ${problem.reason}`);
        }
        throw error;
    }
    return [];
}
