import { ENV_KEY } from "../config/patterns";
import { quote } from "../shell/quote";

/**
 * Renders settings as a shell-sourceable env file (`KEY=value`, one per line,
 * sorted). The image's entrypoint sources it with `set -a`, so secrets reach
 * the processes without appearing on any command line or in `docker inspect`.
 *
 * A key cannot be quoted (`'KEY'=value` is a command, not an assignment), so
 * only environment variable names are written: anything else would run as
 * a command in every container. Values are quoted, newlines and all; only a
 * NUL cannot be, since no shell variable holds one. Validation refuses both
 * with their config paths first; this is the last line, and it never
 * repeats a value.
 */
export function renderEnvFile(variables: Record<string, string>): string {
    const keys = Object.keys(variables).sort();
    for (const key of keys) {
        if (!ENV_KEY.test(key)) {
            throw new Error(`berth: ${JSON.stringify(key)} is not a valid environment variable name (letters, digits and '_', not starting with a digit): the env file cannot hold it`);
        }
        if (variables[key].includes("\0")) {
            throw new Error(`berth: the value of ${key} contains a NUL character, which no shell variable can hold`);
        }
    }
    return keys.map((key) => `${key}=${quote(variables[key])}\n`).join("");
}
