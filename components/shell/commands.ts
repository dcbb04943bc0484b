import { ReloadMode } from "../config/types";
import { AppLayout } from "../render/layout";
import { chain, quote, strictScript, words } from "./quote";

/**
 * Shell commands berth runs on hosts, built from named builders so tests can
 * compare them as exact strings. They are joined into strings only here,
 * where they are handed to @pulumi/command.
 */

/** Creates the app's host volume. Safe to run again. */
export function prepareAppRoot(layout: AppLayout): string {
    return chain(words("mkdir", "-p", layout.root, `${layout.root}/releases`, layout.staticFiles), words("chmod", "0755", layout.root));
}

/**
 * Installs standard input as a file atomically: written beside the target
 * with a private umask, then renamed over it, so readers never see half a
 * file and secrets are never world-readable, not even for a moment.
 */
export function installFileFromStdin(path: string, mode: "0600" | "0644"): string {
    const temporary = `${path}.berth-tmp`;
    return chain("umask 077", words("cat") + " > " + quote(temporary), words("chmod", mode, temporary), words("mv", "-f", temporary, path));
}

/** The directory name of a code ref's checkout: refs may contain '/'. */
export function releaseDirectory(layout: AppLayout, ref: string): string {
    return `${layout.root}/releases/${ref.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** What git checks out for a configured ref: a tag, or the remote branch. */
export function gitRevision(ref: string, allowedBranches: string[]): string {
    if (allowedBranches.includes(ref)) {
        return `origin/${ref}`;
    }
    return `refs/tags/${ref.replace(/^(refs\/tags\/|tags\/)/, "")}`;
}

/**
 * Fetches a ref into its own release directory, without touching the code
 * the running containers use. REVISION records the commit for /version.
 */
export function fetchRelease(layout: AppLayout, repository: string, ref: string, allowedBranches: string[]): string {
    const directory = releaseDirectory(layout, ref);
    return strictScript(
        `if [ ! -d ${quote(`${directory}/.git`)} ]; then`,
        `  rm -rf ${quote(`${directory}.berth-tmp`)}`,
        `  ${words("git", "clone", "--quiet", "--no-checkout", repository, `${directory}.berth-tmp`)}`,
        `  ${words("mv", `${directory}.berth-tmp`, directory)}`,
        "fi",
        words("cd", directory),
        words("git", "fetch", "--quiet", "--force", "--tags", "origin"),
        `commit=$(${words("git", "rev-parse", "--verify", "--quiet", `${gitRevision(ref, allowedBranches)}^{commit}`)}) || { echo ${quote(`berth: ${ref} (${gitRevision(ref, allowedBranches)}) is not in ${repository}`)} >&2; exit 1; }`,
        'git checkout --quiet --force --detach "$commit"',
        "git rev-parse HEAD > REVISION",
        `echo ${quote(ref)} > REF`,
    );
}

/**
 * Points the app's `code` link at a release, atomically, then touches the
 * uWSGI ini so uWSGI reloads in place with the new code. Where the web
 * container runs, it waits until uWSGI has finished the reload: uWSGI
 * rewrites the ready file when the reloaded app accepts requests again, so
 * "ready newer than the ini" means the new code serves.
 */
/**
 * Tells uWSGI's master to reload now through its FIFO (r: graceful reload,
 * c: chain reload): the touch alone is noticed within a second. A FIFO
 * without a reader blocks its writer, hence the timeout; no FIFO, no harm.
 */
export function startUwsgiReload(fifoPath: string, reload: ReloadMode): string {
    const command = reload === "chain" ? "c" : "r";
    return `if [ -p ${quote(fifoPath)} ]; then timeout 2 sh -c ${quote(`printf ${command} > ${quote(fifoPath)}`)} || true; fi`;
}

export function switchReleaseAndReload(layout: AppLayout, ref: string, webContainer: string, timeoutSeconds: number, reload: ReloadMode = "touch"): string {
    const next = `${layout.code}.berth-next`;
    return strictScript(
        chain(words("ln", "-sfn", releaseDirectory(layout, ref), next), words("mv", "-Tf", next, layout.code), words("touch", layout.uwsgiIni)),
        `if [ "$(${words("docker", "inspect", "-f", "{{.State.Running}}", webContainer)} 2>/dev/null)" = true ]; then`,
        `  ${startUwsgiReload(layout.uwsgiFifo, reload)}`,
        `  deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
        `  until [ -n "$(${words("find", layout.uwsgiReady, "-newer", layout.uwsgiIni)} 2>/dev/null)" ]; do`,
        `    if [ "$(date +%s)" -ge "$deadline" ]; then echo ${quote(`uWSGI did not finish reloading ${ref} within ${timeoutSeconds}s`)} >&2; exit 1; fi`,
        "    sleep 0.2",
        "  done",
        "fi",
    );
}

/** Polls a URL from the host until it answers 2xx, or fails after the timeout. */
export function waitForHttp(url: string, timeoutSeconds: number): string {
    return strictScript(
        `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
        `until ${words("curl", "-fsS", "-o", "/dev/null", "--max-time", "2", url)}; do`,
        `  if [ "$(date +%s)" -ge "$deadline" ]; then echo ${quote(`${url} did not answer 2xx within ${timeoutSeconds}s`)} >&2; exit 1; fi`,
        "  sleep 1",
        "done",
    );
}

/** Options of a one-shot container that runs one of the image's tasks. */
export interface OneShotTask {
    containerName: string;
    image: string;
    layout: AppLayout;
    environment: Record<string, string>;
    task: string;
}

/**
 * Runs a task of the image once (`migrate`, `collectstatic`, ...) with the
 * app's host volume mounted, failing when the task fails. `docker run` exits
 * with the task's exit code, which fails the remote command and stops the
 * rollout before any web container is replaced. To run a new release's code
 * before the switch, point BERTH_CODE_DIR at its release directory.
 */
export function runOneShotTask(options: OneShotTask): string {
    const args = ["docker", "run", "--rm", "--name", options.containerName, "--volume", `${options.layout.root}:${options.layout.root}`];
    for (const key of Object.keys(options.environment).sort()) {
        args.push("--env", `${key}=${options.environment[key]}`);
    }
    args.push(options.image, ...options.task.split(" "));
    return chain(words("docker", "rm", "-f", options.containerName) + " >/dev/null 2>&1 || true", words(...args));
}

/**
 * The code path's restart of a worker or beat container, giving it
 * `graceSeconds` to finish its work (celery's warm shutdown). A container
 * started after the code link last moved already runs that release (it was
 * just created, as on a first deploy or an image change): it is left alone,
 * which also spares a process that is still starting up the full grace.
 */
export function restartUnlessStartedAfterSwitch(name: string, graceSeconds: number, codeLink: string): string {
    return strictScript(
        `started=$(date -d "$(${words("docker", "inspect", "-f", "{{.State.StartedAt}}", name)})" +%s.%N)`,
        `switched=$(${words("stat", "-c", "%.9Y", codeLink)})`,
        `if awk -v started="$started" -v switched="$switched" 'BEGIN { exit !(started > switched) }'; then`,
        `  echo ${quote(`${name} started after the code switch: it already runs this release`)}`,
        "else",
        `  ${words("docker", "restart", "--time", String(graceSeconds), name)}`,
        "fi",
    );
}

/**
 * Installs a new nginx.conf from standard input only if the real `nginx -t`
 * accepts it, then reloads nginx (never a restart: open connections live on).
 * A refused config leaves the running one untouched and fails the command.
 */
export function installNginxConf(confDirectory: string, containerName: string): string {
    return strictScript(words("cat") + " > " + quote(`${confDirectory}/nginx.conf.next`), ...testSwapAndReload(confDirectory, containerName));
}

/**
 * Marks one app's server on one host `down` in the live nginx.conf (or back
 * up), tests and reloads. Only the line ending in the app@host marker
 * changes, so drains of different apps compose.
 */
export function setUpstreamServerDrained(confDirectory: string, containerName: string, marker: string, drained: boolean): string {
    const conf = `${confDirectory}/nginx.conf`;
    return strictScript(
        `${words("grep", "-qF", marker, conf)} || { echo ${quote(`no upstream server ${marker} in ${conf}`)} >&2; exit 1; }`,
        `${words("sed", drainEdit(marker, drained), conf)} > ${quote(`${conf}.next`)}`,
        ...testSwapAndReload(confDirectory, containerName),
    );
}

/**
 * The sed expression that drains or undrains the server line ending in
 * `marker`. Markers hold only validated names ([a-z0-9-], '#', '@', ' '),
 * none of which is special in a sed pattern.
 */
export function drainEdit(marker: string, drained: boolean): string {
    return drained
        ? `s/ fail_timeout=5s; ${marker}$/ fail_timeout=5s down; ${marker}/`
        : `s/ fail_timeout=5s down; ${marker}$/ fail_timeout=5s; ${marker}/`;
}

/**
 * `nginx -s reload` only signals the master: for a moment, old workers with
 * the old upstreams still take requests. A drained host is stopped next, so
 * wait until no old worker is left ("shutting down" in its title), at most
 * 15 s, before saying the config is live.
 */
function testSwapAndReload(confDirectory: string, containerName: string): string[] {
    const next = `${confDirectory}/nginx.conf.next`;
    const oldWorkers = `for title in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$title" 2>/dev/null; echo; done | grep -c 'shutting [d]own' || true`;
    return [
        words("docker", "exec", containerName, "nginx", "-t", "-q", "-c", next),
        words("mv", "-f", next, `${confDirectory}/nginx.conf`),
        words("docker", "exec", containerName, "nginx", "-s", "reload"),
        "sleep 0.2",
        "for attempt in $(seq 1 75); do",
        `  [ "$(${words("docker", "exec", containerName, "sh", "-c", oldWorkers)})" = 0 ] && break`,
        "  sleep 0.2",
        "done",
    ];
}
