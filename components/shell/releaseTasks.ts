import { AppLayout } from "../render/layout";
import { releaseDirectory } from "./commands";
import { quote, strictScript, words } from "./quote";

/**
 * The release tasks berth knows the inputs of, and the files whose change
 * makes them run again when the image stays the same (git pathspecs, from
 * the root of the app's repository). A task not listed runs with every new
 * tag or ref. Settings count for both: they name the installed apps (and so
 * the migrations), the database, the static storage and its dirs.
 */
export const TASK_INPUTS: Record<string, { changed: string; pathspecs: (settings: string[]) => string[][] }> = {
    migrate: {
        changed: "a migration or settings file",
        pathspecs: (settings) => [[":(glob)**/migrations/**", ...settings]],
    },
    collectstatic: {
        changed: "a file other than Python code and templates, or a settings file",
        // Either list changing is enough: any other file anywhere (static sources, wherever
        // STATICFILES_DIRS points), or the settings.
        pathspecs: (settings) => [[".", ":(exclude,glob)**/*.py", ":(exclude,glob)**/templates/**"], settings],
    },
};

/**
 * Where an app's settings may live: `settings*.py` and `settings/` anywhere,
 * `manage.py` (it names the default settings module), and the whole package
 * of the app's DJANGO_SETTINGS_MODULE (`config.base` → `config/`), whatever
 * its files are called.
 */
export function settingsPathspecs(settingsModule?: string): string[] {
    const modulePath = settingsModule && /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(settingsModule) ? settingsModule.split(".") : [];
    const settingsPackage = modulePath.length > 1 ? [`:(glob)${modulePath.slice(0, -1).join("/")}/**`] : modulePath.length === 1 ? [`${modulePath[0]}.py`] : [];
    return [":(glob)**/settings*.py", ":(glob)**/settings/**", ":(glob)**/manage.py", ...settingsPackage];
}

/** The file on the host recording the image and commit a task last succeeded for. */
export function taskRecordFile(layout: AppLayout, task: string): string {
    return `${layout.root}/release-ran/${task.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/**
 * Wraps one release task's command (`run`) so it runs only when its inputs
 * changed since it last succeeded on this host: no record, another image
 * (by ID: a tag pushed again is another image), a last commit the new
 * release's clone does not have, or a change under its TASK_INPUTS
 * pathspecs between the two commits. It prints what it decided and why. A
 * task without known inputs runs as it is.
 */
export function runWhenInputsChanged(layout: AppLayout, task: string, ref: string, image: string, run: string, settingsModule?: string): string {
    const inputs = TASK_INPUTS[task.split(" ")[0]];
    if (!inputs) {
        return run;
    }
    const release = releaseDirectory(layout, ref);
    const record = taskRecordFile(layout, task);
    const unchanged = inputs.pathspecs(settingsPathspecs(settingsModule)).map((pathspecs) => `${words("git", "-C", release, "diff", "--quiet")} "$last_commit" HEAD -- ${words(...pathspecs)}`);
    return strictScript(
        `commit=$(cat ${quote(`${release}/REVISION`)})`,
        `image=$(${words("docker", "image", "inspect", "-f", "{{.Id}}", image)})`,
        `last=$(cat ${quote(record)} 2>/dev/null || true)`,
        `last_image=\${last% *}`,
        `last_commit=\${last##* }`,
        "reason=",
        `if [ -z "$last" ]; then reason="no earlier run on this host"`,
        `elif [ "$last_image" != "$image" ]; then reason="the image changed"`,
        `elif ! ${words("git", "-C", release, "cat-file", "-e")} "$last_commit^{commit}" 2>/dev/null; then reason="the commit it last ran for is not in this release's clone"`,
        `elif ! { ${unchanged.join(" && ")}; }; then reason=${quote(`${inputs.changed} changed`)}`,
        "fi",
        `if [ -n "$reason" ]; then`,
        `  echo ${quote(`berth: ${task} runs:`)} "$reason"`,
        `  ${run}`,
        `  mkdir -p ${quote(`${layout.root}/release-ran`)}`,
        `  echo "$image $commit" > ${quote(record)}`,
        "else",
        `  echo ${quote(`berth: ${task} skipped: the same image, and no change to its inputs (${inputs.changed}) since it ran for`)} "$last_commit"`,
        "fi",
    );
}
