import { posix } from "node:path";
import { ReloadMode } from "../config/types";
import { AppLayout, webRuntimeDirectory } from "../render/layout";
import { ACME_CHALLENGE_MARKER } from "../render/nginx";
import { chain, quote, strictScript, words } from "./quote";

const basename = posix.basename;

/**
 * Shell commands berth runs on hosts, built from named builders so tests can
 * compare them as exact strings. They are joined into strings only here,
 * where they are handed to @pulumi/command.
 */

/** Numeric ids a container runs as; root when the image's own USER is root. */
export interface FileOwner {
    uid: number;
    gid: number;
}
export const ROOT_OWNER: FileOwner = { uid: 0, gid: 0 };

/**
 * Creates the app's host volume. Safe to run again. Only the runtime and
 * static directories belong to the app's user: everything else stays root's,
 * so the app can read its settings and code but never rewrite them.
 */
export function prepareAppRoot(layout: AppLayout, owner: FileOwner = ROOT_OWNER, webPorts: number[] = []): string {
    const writable = [layout.staticFiles, layout.runtime, ...webPorts.map((port) => webRuntimeDirectory(layout, port))];
    return chain(
        words("mkdir", "-p", layout.root, releasesRoot(layout), ...writable),
        words("chmod", "0755", layout.root, ...writable),
        words("chown", `${owner.uid}:${owner.gid}`, ...writable),
    );
}

/**
 * Installs standard input as a file atomically: written beside the target
 * with a private umask, then renamed over it, so readers never see half a
 * file and secrets are never world-readable, not even for a moment. With a
 * group, the file is root's and that group may read it (mode 0640): an app
 * running as a non-root user reads its env file but cannot change it.
 */
export function installFileFromStdin(path: string, mode: "0600" | "0640" | "0644" | "0700", group?: number): string {
    const temporary = `${path}.berth-tmp`;
    return chain(
        "umask 077",
        words("cat") + " > " + quote(temporary),
        ...(group === undefined ? [] : [words("chgrp", String(group), temporary)]),
        words("chmod", mode, temporary),
        words("mv", "-f", temporary, path),
    );
}

/**
 * Installs the app's env file (settings and secrets, from standard input)
 * readable by the user its containers run as, and nobody else. Without a
 * configured user the image's own USER applies: it must be root, or the app
 * could not read the file; say so before any container starts.
 */
export function installEnvFile(layout: AppLayout, image: string, owner: FileOwner | undefined, appName: string): string {
    if (owner) {
        return owner.uid === 0 ? installFileFromStdin(layout.envFile, "0600") : installFileFromStdin(layout.envFile, "0640", owner.gid);
    }
    const refusal = [
        quote(`berth: ${image} runs as USER `) + '"$user"',
        quote(`, not root, and the user of app ${appName} (berth:apps[].user) is not set: set it to the numeric uid:gid of that user (such as "10001:10001") so berth can give the app its files`),
    ].join("");
    return strictScript(
        `user=$(${words("docker", "image", "inspect", "--format", "{{.Config.User}}", image)})`,
        `case "$user" in ""|root|0|root:*|0:*) ;; *) echo ${refusal} >&2; exit 1 ;; esac`,
        installFileFromStdin(layout.envFile, "0600"),
    );
}

/** Where an app's code releases live on a host: one directory per ref (releaseDirectory). */
export function releasesRoot(layout: AppLayout): string {
    return `${layout.root}/releases`;
}

/** The directory name of a code ref's checkout: refs may contain '/'. */
export function releaseDirectory(layout: AppLayout, ref: string): string {
    return `${releasesRoot(layout)}/${ref.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
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
 * The repository comes from the user's config: `--` keeps git from ever
 * reading it as an option (`--upload-pack=...` would run a command), and
 * validation has refused URLs with credentials, which would sit in this
 * command and so in the state.
 */
export function fetchRelease(layout: AppLayout, repository: string, ref: string, allowedBranches: string[]): string {
    const directory = releaseDirectory(layout, ref);
    return strictScript(
        `if [ ! -d ${quote(`${directory}/.git`)} ]; then`,
        `  rm -rf ${quote(`${directory}.berth-tmp`)}`,
        `  ${words("git", "clone", "--quiet", "--no-checkout", "--", repository, `${directory}.berth-tmp`)}`,
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
 * Tells uWSGI's master to reload now through its FIFO (r: graceful reload,
 * c: chain reload): the touch alone is noticed within a second. A FIFO
 * without a reader blocks its writer, hence the timeout; no FIFO, no harm.
 */
export function startUwsgiReload(fifoPath: string, reload: ReloadMode): string {
    const command = reload === "chain" ? "c" : "r";
    return `if [ -p ${quote(fifoPath)} ]; then timeout 2 sh -c ${quote(`printf ${command} > ${quote(fifoPath)}`)} || true; fi`;
}

/** The web containers of an app on a host that a code switch reloads. */
export interface WebContainersOnHost {
    appName: string;
    /** Their runtime directories on the host (webRuntimeDirectory): uWSGI FIFOs, ready files, stats sockets. */
    runtimes: string[];
}

/** The file, in the app's root, holding the commit the host last switched to and reloaded: what makes a switch idempotent. */
export function switchedRevisionFile(layout: AppLayout): string {
    return `${layout.root}/switched-revision`;
}

/**
 * Shell functions that read a chain reload's progress from uWSGI's stats
 * server (`stats-http` on a unix socket in the runtime directory):
 *
 * - `uwsgi_workers SOCKET` prints each worker's `"pid":N "accepting":0|1`
 *   (the workers' part of the stats; nothing if no uWSGI answers there);
 * - `workers_replaced SOCKET BEFORE` holds when none of the pids in BEFORE
 *   (an earlier `uwsgi_workers`) is still a worker and every worker accepts
 *   requests: the chain is over, every worker runs the new code. An empty
 *   BEFORE (no uWSGI answered) holds at once.
 *
 * A chain reload's own "ready" (the first new worker accepting) comes while
 * the other workers still serve the old release; this is its end.
 */
export function chainReloadProgressFunctions(): string[] {
    return [
        `uwsgi_workers() { curl -fsS --max-time 2 --unix-socket "$1" http://uwsgi/ 2>/dev/null | sed -n '/"workers":/,$p' | grep -o '"pid":[0-9]*\\|"accepting":[0-9]*' | tr '\\n' ' '; }`,
        "workers_replaced() {",
        '  [ -n "$2" ] || return 0',
        '  now=$(uwsgi_workers "$1")',
        '  [ -n "$now" ] || return 1',
        `  case "$now" in *'"accepting":0'*) return 1 ;; esac`,
        "  for worker in $2; do",
        `    case "$worker" in '"pid":'*) case " $now" in *" $worker "*) return 1 ;; esac ;; esac`,
        "  done",
        "}",
    ];
}

/**
 * Points the app's `code` link at a release, atomically, then touches the
 * uWSGI ini so uWSGI reloads in place with the new code. Where the app's web
 * container runs, it waits until uWSGI has finished the reload, so that
 * from then on every request runs the new code:
 *
 * - `touch`: uWSGI re-executes and rewrites the ready file when the
 *   reloaded app accepts requests again ("a ready file newer than the ini");
 * - `chain`: uWSGI replaces its workers one at a time; the reload is over
 *   when none of the workers from before it is left and every worker
 *   accepts requests (chainReloadProgressFunctions). berth then rewrites
 *   the ready file itself. A container started before berth enabled the
 *   stats socket answers nothing there: its first new worker's ready file
 *   is the gate, as before.
 *
 * Idempotent: a host whose link already points at the release, switched
 * and reloaded to the release's commit (switchedRevisionFile, written only
 * once the reload finished), is left alone. So `berth rollback`'s direct
 * flip is not reloaded a second time by the `pulumi up` that records it,
 * while a branch that moved (another commit in the same directory) or a
 * reload that never finished is switched again.
 */
export function switchReleaseAndReload(layout: AppLayout, ref: string, web: WebContainersOnHost | undefined, timeoutSeconds: number, reload: ReloadMode = "touch"): string {
    const directory = releaseDirectory(layout, ref);
    const next = `${layout.code}.berth-next`;
    const switchedFile = switchedRevisionFile(layout);
    const readyFiles = web ? web.runtimes.map((runtime) => `${runtime}/${basename(layout.uwsgiReady)}`) : [];
    const readyNewerThanIni = `[ -n "$(${words("find", ...readyFiles, "-newer", layout.uwsgiIni)} 2>/dev/null)" ]`;
    const alreadySwitched = [
        `[ "$(readlink ${quote(layout.code)} || true)" = ${quote(directory)} ]`,
        `[ -s ${quote(switchedFile)} ]`,
        `[ "$(cat ${quote(`${directory}/REVISION`)})" = "$(cat ${quote(switchedFile)})" ]`,
        ...(web ? [readyNewerThanIni] : []),
    ].join(" && ");
    const recordSwitch = words("cp", "-f", `${directory}/REVISION`, switchedFile);
    // One command per line: under `set -e` a failure inside an `&&` list that is not its last command goes unnoticed.
    const link = [words("ln", "-sfn", directory, next), words("mv", "-Tf", next, layout.code), words("touch", layout.uwsgiIni)];
    const skip = [`if ${alreadySwitched}; then`, `  echo ${quote(`already switched to ${ref}${web ? " and reloaded" : ""}`)}`, "  exit 0", "fi"];
    if (!web) {
        return strictScript(...skip, ...link, recordSwitch);
    }
    const chain = reload === "chain";
    const statsSockets = web.runtimes.map((runtime) => `${runtime}/${basename(layout.uwsgiStats)}`);
    // chain: the workers before the switch, read before anything moves.
    const workersBefore = chain ? [...chainReloadProgressFunctions(), ...statsSockets.map((socket, index) => `workers_before_${index}=$(uwsgi_workers ${quote(socket)})`)] : [];
    const reloaded = chain
        ? [
              ...statsSockets.map((socket, index) => `workers_replaced ${quote(socket)} "$workers_before_${index}"`),
              `{ [ -n "${statsSockets.map((_, index) => `$workers_before_${index}`).join("")}" ] || ${readyNewerThanIni}; }`,
          ].join(" && ")
        : readyNewerThanIni;
    return strictScript(
        ...skip,
        ...workersBefore,
        ...link,
        // The app's running web container (none yet on a first deploy: it starts on the new code).
        `running=$(${words("docker", "ps", "-q", "--filter", `label=berth.app=${web.appName}`, "--filter", "label=berth.role=web")})`,
        'if [ -n "$running" ]; then',
        ...web.runtimes.map((runtime) => `  ${startUwsgiReload(`${runtime}/${basename(layout.uwsgiFifo)}`, reload)}`),
        `  deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
        `  until ${reloaded}; do`,
        `    if [ "$(date +%s)" -ge "$deadline" ]; then echo ${quote(`uWSGI did not finish reloading ${ref} within ${timeoutSeconds}s`)} >&2; exit 1; fi`,
        "    sleep 0.2",
        "  done",
        // chain: the reload is over, say so where the next switch looks (touch: uWSGI wrote it).
        ...(chain ? [`  ${words("touch", "-c", ...readyFiles)}`] : []),
        "fi",
        recordSwitch,
    );
}

/**
 * Polls a URL from the host until it answers 2xx, or fails after the
 * timeout. The request carries the app's domain as its Host header, as
 * requests through nginx do: an app whose ALLOWED_HOSTS lists only its
 * domain answers 400 to any other Host.
 */
export function waitForHttp(url: string, hostHeader: string, timeoutSeconds: number): string {
    return strictScript(
        `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
        `until ${words("curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "--header", `Host: ${hostHeader}`, url)}; do`,
        `  if [ "$(date +%s)" -ge "$deadline" ]; then echo ${quote(`${url} (Host: ${hostHeader}) did not answer 2xx within ${timeoutSeconds}s`)} >&2; exit 1; fi`,
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
    /** The ids it runs as. Default: the image's USER. */
    user?: FileOwner;
}

/**
 * Runs a task of the image once (`migrate`, `collectstatic`, ...) with the
 * app's host volume mounted, failing when the task fails. `docker run` exits
 * with the task's exit code, which fails the remote command and stops the
 * rollout before any web container is replaced. To run a new release's code
 * before the switch, point BERTH_CODE_DIR at its release directory. The host
 * volume is read-only but for the static directory, collectstatic's output.
 */
export function runOneShotTask(options: OneShotTask): string {
    const { layout } = options;
    const args = ["docker", "run", "--rm", "--name", options.containerName, ...volumeFlags(appVolumes(layout, layout.staticFiles))];
    if (options.user) {
        args.push("--user", `${options.user.uid}:${options.user.gid}`);
    }
    for (const key of Object.keys(options.environment).sort()) {
        args.push("--env", `${key}=${options.environment[key]}`);
    }
    args.push(options.image, ...options.task.split(" "));
    return chain(words("docker", "rm", "-f", options.containerName) + " >/dev/null 2>&1 || true", words(...args));
}

/** A bind mount of part of the host volume, at the same path inside the container. */
export interface AppVolume {
    path: string;
    readOnly: boolean;
}

/**
 * What an app's container mounts: the whole host volume read-only, and the
 * one directory it may write read-write on top (the runtime directory for
 * long-running containers, the static directory for release tasks).
 */
export function appVolumes(layout: AppLayout, writable: string): AppVolume[] {
    return [
        { path: layout.root, readOnly: true },
        { path: writable, readOnly: false },
    ];
}

function volumeFlags(volumes: AppVolume[]): string[] {
    return volumes.flatMap((volume) => ["--volume", `${volume.path}:${volume.path}${volume.readOnly ? ":ro" : ""}`]);
}

/**
 * The code path's restart of the app's running worker or beat containers
 * on the host, giving each `graceSeconds` to finish its work (celery's warm
 * shutdown). A container started after the code link last moved already
 * runs that release (it was just created, or restarted by a rollback's
 * flip): it is left alone, which also spares a process that is still
 * starting up the full grace. So is one on another image than `image`: the
 * deploy replaces it, and the new one starts on the new code.
 */
export function restartRoleUnlessStartedAfterSwitch(appName: string, role: "worker" | "beat", graceSeconds: number, codeLink: string, image: string): string {
    return strictScript(
        // Its own line: a failing `docker ps` stops the script rather than listing nothing.
        `names=$(${words("docker", "ps", "--format", "{{.Names}}", "--filter", `label=berth.app=${appName}`, "--filter", `label=berth.role=${role}`)})`,
        "for name in $names; do",
        `  if [ "$(docker inspect -f '{{.Config.Image}}' "$name")" != ${quote(image)} ]; then`,
        `    echo "$name runs another image: the deploy replaces it"`,
        "    continue",
        "  fi",
        `  started=$(date -d "$(docker inspect -f '{{.State.StartedAt}}' "$name")" +%s.%N)`,
        `  switched=$(${words("stat", "-c", "%.9Y", codeLink)})`,
        `  if awk -v started="$started" -v switched="$switched" 'BEGIN { exit !(started > switched) }'; then`,
        `    echo "$name started after the code switch: it already runs this release"`,
        "  else",
        `    docker restart --time ${graceSeconds} "$name"`,
        "  fi",
        "done",
    );
}

/** Which containers `stopContainers` stops, on one host. */
export interface ContainersToStop {
    appName: string;
    role: "web" | "worker" | "beat";
    /** Every running container berth started for this app and role. */
    allOfRole: boolean;
    /** Every running container that publishes one of these host ports, whoever started it. */
    publishing: number[];
    /** A container under this name, whoever started it (what a seed-style `docker run` called it). */
    named?: string;
    /** Never this container (a full ID): the one that just started. */
    keepId?: string;
    graceSeconds: number;
}

/**
 * Stops the containers `which` selects, each with the grace to finish its
 * requests or tasks (celery's warm shutdown). berth's own are only stopped:
 * the engine removes them when it deletes the replaced resource. Others (a
 * hand-made `docker run`) are removed too, so nothing restarts them.
 */
export function stopContainers(which: ContainersToStop): string {
    const ownLabels = `${which.appName}/${which.role}`;
    const listings = [
        ...(which.allOfRole ? [words("docker", "ps", "-q", "--no-trunc", "--filter", `label=berth.app=${which.appName}`, "--filter", `label=berth.role=${which.role}`)] : []),
        ...which.publishing.map((port) => words("docker", "ps", "-q", "--no-trunc", "--filter", `publish=${port}`)),
        ...(which.named ? [words("docker", "ps", "-q", "--no-trunc", "--filter", `name=^/${which.named}$`)] : []),
    ];
    if (listings.length === 0) {
        return "true";
    }
    return strictScript(
        `for id in $( { ${listings.join("; ")}; } | sort -u); do`,
        `  [ "$id" = ${quote(which.keepId ?? "none")} ] && continue`,
        `  name=$(${words("docker", "inspect", "-f", "{{.Name}}")} "$id" | sed 's,^/,,')`,
        `  labels=$(${words("docker", "inspect", "-f", '{{index .Config.Labels "berth.app"}}/{{index .Config.Labels "berth.role"}}')} "$id")`,
        `  echo "stopping $name (${which.graceSeconds}s grace)"`,
        `  ${words("docker", "stop", "--time", String(which.graceSeconds))} "$id" >/dev/null`,
        `  if [ "$labels" != ${quote(ownLabels)} ]; then echo "removing $name: berth did not start it"; docker rm "$id" >/dev/null; fi`,
        "done",
    );
}

/**
 * Makes way for berth's container under `name`: one that berth did not start
 * (it lacks berth's `berth.app`/`berth.role` labels for this app and role, as
 * a seed-style `docker run` does) is stopped with `graceSeconds` to finish
 * its requests or tasks, then removed, so the create that follows never meets
 * a name conflict. berth's own container is left for its replacement.
 */
export function removeContainerNotStartedByBerth(name: string, appName: string, role: string, graceSeconds: number): string {
    return strictScript(
        `labels=$(${words("docker", "inspect", "-f", '{{index .Config.Labels "berth.app"}}/{{index .Config.Labels "berth.role"}}', name)} 2>/dev/null) || exit 0`,
        `if [ "$labels" != ${quote(`${appName}/${role}`)} ]; then`,
        `  echo ${quote(`${name} was not started by berth: stopping it (${graceSeconds}s grace) and removing it for berth's`)}`,
        `  ${words("docker", "stop", "--time", String(graceSeconds), name)} >/dev/null`,
        `  ${words("docker", "rm", name)} >/dev/null`,
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
 * Makes a live nginx.conf from a berth before HTTPS answer ACME http-01
 * challenges: every server on the HTTP port gets the challenge location,
 * and the catch-all's `return 444` moves into `location /` (at server level
 * it would answer before any location). A config that has them (marked
 * ACME_CHALLENGE_MARKER) is left alone; the rest of the file is untouched,
 * so the upstream lines the rollout edits stay as they are.
 */
export function ensureAcmeChallengeServed(confDirectory: string, containerName: string, httpPort: number, webroot: string): string {
    const conf = `${confDirectory}/nginx.conf`;
    const listen = `^ *listen ${httpPort}\\( default_server\\)\\?;$`;
    return strictScript(
        `if ${words("grep", "-qF", ACME_CHALLENGE_MARKER, conf)}; then echo "nginx serves ACME challenges"; exit 0; fi`,
        `${words(
            "sed",
            "-e", "s/^\\( *\\)return 444;$/\\1location \\/ { return 444; }/",
            "-e", `/${listen}/a\\    location ^~ /.well-known/acme-challenge/ { ${ACME_CHALLENGE_MARKER}`,
            "-e", `/${listen}/a\\        root ${webroot};`,
            "-e", `/${listen}/a\\        default_type text/plain;`,
            "-e", `/${listen}/a\\    }`,
            conf,
        )} > ${quote(`${conf}.next`)}`,
        ...testSwapAndReload(confDirectory, containerName),
        `echo "nginx serves ACME challenges: added to the config of an earlier berth"`,
    );
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
 * Prints the host port a new web container of one app starts on: of
 * `ports`, the one nginx's server line for `marker` does not point at (the
 * first when there is no line yet, as before a first deploy). nginx's
 * config is the truth of which container serves, whatever state says.
 */
export function nextWebPort(confDirectory: string, marker: string, ports: [number, number], which: "next" | "current" = "next"): string {
    const conf = `${confDirectory}/nginx.conf`;
    return strictScript(
        `current=$(sed -n ${quote(`s/^ *server [^ ]*:\\([0-9][0-9]*\\) .* ${marker}$/\\1/p`)} ${quote(conf)} 2>/dev/null | head -n 1)`,
        which === "next"
            ? `if [ "$current" = ${ports[0]} ]; then echo ${ports[1]}; else echo ${ports[0]}; fi`
            // The port the serving container has (the first when there is no line).
            : `if [ "$current" = ${ports[1]} ]; then echo ${ports[1]}; else echo ${ports[0]}; fi`,
    );
}

/**
 * Points one app's server line (found by its marker) at a new container:
 * `line` replaces it whole (its new port, not drained), then nginx tests and
 * reloads. A server with no line yet (a host new to the app) is left to the
 * config berth installs after the rollout.
 */
export function setUpstreamServer(confDirectory: string, containerName: string, marker: string, line: string): string {
    const conf = `${confDirectory}/nginx.conf`;
    return strictScript(
        `if ! ${words("grep", "-qE", `${marker}$`, conf)}; then echo ${quote(`no upstream server ${marker} in ${conf} yet: the config installed after the rollout adds it`)}; exit 0; fi`,
        `${words("sed", `s/^\\( *\\)server .* ${marker}$/\\1${line}/`, conf)} > ${quote(`${conf}.next`)}`,
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
 * Takes the lock on nginx's files (its config, and the certificates an ACME
 * client rewrites in place): whoever tests and reloads nginx holds it, so
 * nginx never reads a certificate half written, nor one without its key.
 * Held until the script exits; waits at most 15 minutes.
 */
export function lockNginxFiles(confDirectory: string): string[] {
    const lock = `${confDirectory}/.berth-lock`;
    return [
        `exec 9> ${quote(lock)}`,
        `flock -w 900 9 || { echo ${quote(`nginx's files stayed locked (${lock}) for 15 minutes: a certificate run is stuck?`)} >&2; exit 1; }`,
    ];
}

/**
 * `nginx -s reload` only signals the master: for a moment, old workers with
 * the old upstreams still take requests. A drained host is stopped next, so
 * wait until no old worker is left ("shutting down" in its title), at most
 * 15 s, before saying the config is live.
 */
function testSwapAndReload(confDirectory: string, containerName: string): string[] {
    const next = `${confDirectory}/nginx.conf.next`;
    return [
        ...lockNginxFiles(confDirectory),
        words("docker", "exec", containerName, "nginx", "-t", "-q", "-c", next),
        words("mv", "-f", next, `${confDirectory}/nginx.conf`),
        ...reloadNginxAndWait(containerName),
    ];
}

/** Reloads nginx and waits (at most 15 s) until no worker of the old config is left: then every request sees the new one. */
export function reloadNginxAndWait(containerName: string): string[] {
    const oldWorkers = `for title in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$title" 2>/dev/null; echo; done | grep -c 'shutting [d]own' || true`;
    return [
        words("docker", "exec", containerName, "nginx", "-s", "reload"),
        "sleep 0.2",
        "for attempt in $(seq 1 75); do",
        `  [ "$(${words("docker", "exec", containerName, "sh", "-c", oldWorkers)})" = 0 ] && break`,
        "  sleep 0.2",
        "done",
    ];
}
