import { AppLayout } from "../render/layout";
import { releaseDirectory } from "./commands";
import { quote, strictScript, words } from "./quote";

/**
 * The release tasks berth knows the inputs of, and the files whose change
 * makes them run again when the image stays the same (git pathspecs, from
 * the root of the app's repository). A task not listed runs with every new
 * tag or ref. Settings files count for both: they name the installed apps
 * (and so the migrations), the database, the static storage and its dirs.
 */
export const TASK_INPUTS: Record<string, { changed: string; pathspecs: string[][] }> = {
    migrate: {
        changed: "a migration or settings file",
        pathspecs: [[":(glob)**/migrations/**", ...settingsPathspecs()]],
    },
    collectstatic: {
        changed: "a file other than Python code and templates, or a settings file",
        // Either list changing is enough: any other file anywhere (static sources, wherever
        // STATICFILES_DIRS points), or the settings.
        pathspecs: [[".", ":(exclude,glob)**/*.py", ":(exclude,glob)**/templates/**"], settingsPathspecs()],
    },
};

function settingsPathspecs(): string[] {
    return [":(glob)**/settings*.py", ":(glob)**/settings/**"];
}

/** The file on the host recording the image and commit a task last succeeded for. */
export function taskRecordFile(layout: AppLayout, task: string): string {
    return `${layout.root}/release-ran/${task.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/**
 * Wraps one release task's command (`run`) so it runs only when its inputs
 * changed since it last succeeded on this host: another image, no record,
 * a last commit the new release does not have, or a change under its
 * TASK_INPUTS pathspecs between the two commits. It prints what it decided
 * and why. A task without known inputs runs as it is.
 */
export function runWhenInputsChanged(layout: AppLayout, task: string, ref: string, image: string, run: string): string {
    const inputs = TASK_INPUTS[task.split(" ")[0]];
    if (!inputs) {
        return run;
    }
    const release = releaseDirectory(layout, ref);
    const record = taskRecordFile(layout, task);
    const unchanged = inputs.pathspecs.map((pathspecs) => `${words("git", "-C", release, "diff", "--quiet")} "$last_commit" HEAD -- ${words(...pathspecs)}`);
    return strictScript(
        `commit=$(cat ${quote(`${release}/REVISION`)})`,
        `last=$(cat ${quote(record)} 2>/dev/null || true)`,
        `last_image=\${last% *}`,
        `last_commit=\${last##* }`,
        "reason=",
        `if [ -z "$last" ]; then reason="no earlier run on this host"`,
        `elif [ "$last_image" != ${quote(image)} ]; then reason="the image changed"`,
        `elif ! ${words("git", "-C", release, "cat-file", "-e")} "$last_commit^{commit}" 2>/dev/null; then reason="the commit it last ran for is not in this release"`,
        `elif ! { ${unchanged.join(" && ")}; }; then reason=${quote(`${inputs.changed} changed`)}`,
        "fi",
        `if [ -n "$reason" ]; then`,
        `  echo ${quote(`berth: ${task} runs:`)} "$reason"`,
        `  ${run}`,
        `  mkdir -p ${quote(`${layout.root}/release-ran`)}`,
        `  echo ${quote(image)} "$commit" > ${quote(record)}`,
        "else",
        `  echo ${quote(`berth: ${task} skipped: the same image, and no change to its inputs (${inputs.changed}) since it ran for`)} "$last_commit"`,
        "fi",
    );
}
