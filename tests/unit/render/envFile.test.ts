import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderEnvFile } from "../../../components/render/envFile";
import { temporaryDirectory } from "../../support/files";

const scratch = temporaryDirectory("env-file");

/** What an image's entrypoint does with the file (`set -a; . "$BERTH_ENV_FILE"`), in the given shell, in an empty environment. */
function sourcedBy(shell: string, content: string): Record<string, string> {
    const path = join(scratch, "env");
    writeFileSync(path, content);
    const printed = execFileSync(shell, ["-c", 'set -a; . "$1"; exec /usr/bin/env -0', "sh", path], { env: {}, encoding: "utf8" });
    return Object.fromEntries(printed.split("\0").filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

describe("renderEnvFile", () => {
    it("writes sorted KEY=value lines, quoting only what needs it", () => {
        expect(renderEnvFile({ SECRET_KEY: "s3cr3t value", DEBUG: "0", EMPTY: "" })).toBe("DEBUG=0\nEMPTY=''\nSECRET_KEY='s3cr3t value'\n");
    });

    const hostile: Record<string, string> = {
        SINGLE_QUOTES: "it's '' '\\''",
        DOUBLE_QUOTES: '"$HOME"',
        SUBSTITUTION: `$(touch ${join(scratch, "pwned-substitution")})`,
        BACKTICKS: `\`touch ${join(scratch, "pwned-backticks")}\``,
        NEWLINES: "one\nPWNED=1\n\nthree\n",
        CARRIAGE_RETURN: "a\r\nb",
        TABS_AND_SPACES: "\t a  b \t",
        GLOBS: "* ? [a-z] ~",
        OPERATORS: "a; b && c || d | e & f > g < h",
        BACKSLASHES: "\\ \\\\ \\n",
        DASHES: "-e --help",
        UNICODE: "ünïcødé ✓",
        EQUALS: "a=b=c",
    };

    it.each(["/bin/sh", "/bin/bash", "/usr/bin/dash"])("round-trips hostile values through %s's `set -a; . file`, running nothing", (shell) => {
        const sourced = sourcedBy(shell, renderEnvFile(hostile));
        expect(sourced).toMatchObject(hostile);
        expect(sourced.PWNED).toBeUndefined();
        expect(existsSync(join(scratch, "pwned-substitution"))).toBe(false);
        expect(existsSync(join(scratch, "pwned-backticks"))).toBe(false);
    });

    it("refuses a key that is not an environment variable name: it is written unquoted, and would run as a command", () => {
        const key = `X=1; touch ${join(scratch, "pwned-key")}; Y`;
        expect(() => renderEnvFile({ [key]: "value" })).toThrow(`berth: ${JSON.stringify(key)} is not a valid environment variable name`);
        expect(() => renderEnvFile({ "1ST": "value" })).toThrow(/not a valid environment variable name/);
        expect(() => renderEnvFile({ "": "value" })).toThrow(/not a valid environment variable name/);
    });

    it("refuses a NUL in a value, without repeating the value: no shell variable can hold one", () => {
        expect(() => renderEnvFile({ SECRET_KEY: "s3cr3t\u0000tail" })).toThrow("berth: the value of SECRET_KEY contains a NUL character");
        try {
            renderEnvFile({ SECRET_KEY: "s3cr3t\u0000tail" });
        } catch (error) {
            expect(String(error)).not.toContain("s3cr3t");
        }
    });
});
