/**
 * The one shell-quoting function of berth: every word that reaches a remote
 * or local shell passes through it.
 *
 * Words made only of safe characters stay as they are (commands stay
 * readable in previews); anything else is wrapped in single quotes, with
 * embedded single quotes written as '\''.
 */
export function quote(word: string): string {
    if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
        return word;
    }
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command as words, quoted and joined into one shell command line. */
export function words(...parts: string[]): string {
    return parts.map(quote).join(" ");
}

/** Commands that run one after another, stopping at the first failure. */
export function chain(...commands: string[]): string {
    return commands.join(" && ");
}

/** Runs commands in a subshell with `set -eu`, so a multi-line script stops at its first failure. */
export function strictScript(...commands: string[]): string {
    return ["set -eu", ...commands].join("\n");
}

/**
 * Scripts (strictScript's) one after another, each in its own subshell on
 * its own line, stopping at the first that fails. Never `chain` them: in
 * `( script ) && next` bash ignores the script's own `set -e`, so a failing
 * line inside it would go unnoticed.
 */
export function scriptsInSequence(...scripts: string[]): string {
    return strictScript(...scripts.map((script) => `( ${script} )`));
}
