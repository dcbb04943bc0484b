import { ReloadMode } from "../config/types";
import { AppLayout } from "../render/layout";
import { releaseDirectory, releasesRoot, restartRoleUnlessStartedAfterSwitch, switchReleaseAndReload, waitForHttp } from "./commands";
import { deployedReleasesFile, deployedTagsFile } from "./prune";
import { quote, scriptsInSequence, strictScript, words } from "./quote";

/**
 * Prints `kept <commit>` when the host keeps the ref's release (fetched
 * whole: its REF and REVISION are written last), or `missing`: what
 * `berth rollback` checks on every host before it flips a link.
 */
export function keptReleaseCheck(layout: AppLayout, ref: string): string {
    const directory = releaseDirectory(layout, ref);
    return `if [ -s ${quote(`${directory}/REF`)} ] && [ -s ${quote(`${directory}/REVISION`)} ]; then echo "kept $(cat ${quote(`${directory}/REVISION`)})"; else echo missing; fi`;
}

/** One web host of rollback's flip: where its web containers are, and how they are checked. */
export interface WebHostFlip {
    layout: AppLayout;
    appName: string;
    ref: string;
    /** The runtime directories of the app's two web ports (uWSGI FIFOs and ready files). */
    runtimes: string[];
    reload: ReloadMode;
    timeoutSeconds: number;
    /** Per web port, the health URL of a container that publishes it (address: the host's private one). */
    healthUrls: { port: number; url: string }[];
    domain: string;
}

/**
 * `berth rollback`'s flip on a web host: the code link to a kept release
 * and uWSGI's reload, as the code path's switch does (switchReleaseAndReload),
 * then a health request to every web container of the app that runs there.
 */
export function flipWebHost(flip: WebHostFlip): string {
    return scriptsInSequence(
        switchReleaseAndReload(flip.layout, flip.ref, { appName: flip.appName, runtimes: flip.runtimes }, flip.timeoutSeconds, flip.reload),
        ...flip.healthUrls.map(({ port, url }) => strictScript(
            `serving=$(${words("docker", "ps", "-q", "--filter", `label=berth.app=${flip.appName}`, "--filter", "label=berth.role=web", "--filter", `publish=${port}`)})`,
            // (A subshell's `set -e` holds in an if's branch, unlike in its condition.)
            'if [ -n "$serving" ]; then',
            `  ( ${waitForHttp(url, flip.domain, flip.timeoutSeconds)} )`,
            "fi",
        )),
    );
}

/**
 * The flip on a host without the app's web containers: the code link, then
 * each worker and beat container of the app restarted with its grace
 * (restartRoleUnlessStartedAfterSwitch).
 */
export function flipBackgroundHost(layout: AppLayout, appName: string, image: string, ref: string, roles: ("worker" | "beat")[], graceSeconds: number): string {
    return scriptsInSequence(
        // No web container here: no reload to wait for.
        switchReleaseAndReload(layout, ref, undefined, 0),
        ...roles.map((role) => restartRoleUnlessStartedAfterSwitch(appName, role, graceSeconds, layout.code, image)),
    );
}

/**
 * What one host keeps of an app, one fact per line, for `berth releases`:
 * `release <ref> <commit> deployed|fetched`, the deployed ones newest deploy
 * first (the order prune records on the host), then any fetched but never
 * deployed (a rollout that failed), newest fetch first; `linked <ref>`; and
 * `tag <tag> present|absent` in deploy order, oldest first.
 */
export function listKeptReleases(layout: AppLayout, repository: string): string {
    const releases = releasesRoot(layout);
    const deployed = deployedReleasesFile(layout);
    const tags = deployedTagsFile(layout);
    return strictScript(
        `if [ -d ${quote(releases)} ]; then`,
        `  { if [ -f ${quote(deployed)} ]; then sed 's/$/ deployed/' ${quote(deployed)} | tac; fi`,
        `    (cd ${quote(releases)} && ls -1t -- */REF 2>/dev/null | sed 's,/REF$, fetched,') || true; } |`,
        // The first line of each release wins: deployed before fetched.
        "  awk '!seen[$1]++' | while read -r ref how; do",
        `    if [ -f ${quote(releases)}/"$ref"/REF ]; then`,
        `      echo "release $ref $(cat ${quote(releases)}/"$ref"/REVISION 2>/dev/null || echo unknown) $how"`,
        "    fi",
        "  done",
        "fi",
        `if [ -L ${quote(layout.code)} ]; then echo "linked $(basename "$(readlink ${quote(layout.code)})")"; fi`,
        `if [ -f ${quote(tags)} ]; then`,
        "  while read -r tag; do",
        `    if docker image inspect ${quote(`${repository}:`)}"$tag" >/dev/null 2>&1; then echo "tag $tag present"; else echo "tag $tag absent"; fi`,
        `  done < ${quote(tags)}`,
        "fi",
    );
}
