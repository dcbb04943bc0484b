import { quote } from "../shell/quote";

/**
 * Renders settings as a shell-sourceable env file (`KEY=value`, one per line,
 * sorted). The image's entrypoint sources it with `set -a`, so secrets reach
 * the processes without appearing on any command line or in `docker inspect`.
 */
export function renderEnvFile(variables: Record<string, string>): string {
    return Object.keys(variables)
        .sort()
        .map((key) => `${key}=${quote(variables[key])}\n`)
        .join("");
}
