import { AppLayout } from "../render/layout";
import { releasesRoot } from "./commands";
import { quote, strictScript, words } from "./quote";

/** What one host keeps of an app after a successful deploy. */
export interface KeptReleases {
    layout: AppLayout;
    /** How many code releases and image tags to keep (berth:apps[].keepReleases, at least 2). */
    keep: number;
    /** The app's image repository and the tag just deployed. */
    repository: string;
    tag: string;
    /** Whether the app's code lives in the host volume (releases/<ref>). */
    withReleases: boolean;
}

/** The file, in the app's root, listing the image tags deployed on the host, oldest first. */
export function deployedTagsFile(layout: AppLayout): string {
    return `${layout.root}/deployed-image-tags`;
}

/** The file, in the app's root, listing the code releases (their directory names) deployed on the host, oldest first. */
export function deployedReleasesFile(layout: AppLayout): string {
    return `${layout.root}/deployed-code-releases`;
}

/**
 * Prunes what the host keeps of one app after a successful deploy, and only
 * that app's: the images of its repository and its code releases beyond the
 * `keep` most recently deployed. Both orders are recorded on the host by
 * this step, which runs only after a rollout succeeded (pull, build and fetch
 * times say nothing of what was deployed, and a release fetched for a
 * rollout that failed was never deployed). The deployed and the previous
 * release are the two most recent, so `keep` ≥ 2 never prunes them; the
 * release the code link points at is never pruned either. A release never
 * deployed is pruned; one without its REF (a clone that never finished) is
 * left alone. An image `docker image rm` refuses (a container still uses it)
 * stays, listed first for the next prune.
 *
 * Housekeeping must not fail a deploy that succeeded: the script runs in its
 * own shell, and a failure there is reported, not returned.
 */
export function pruneKeptReleases(kept: KeptReleases): string {
    const script = strictScript(...pruneImageTags(kept), ...(kept.withReleases ? pruneCodeReleases(kept) : []));
    return `sh -c ${quote(script)} || echo ${quote(`berth: pruning what ${kept.layout.root} keeps failed (the deploy stands; the next one prunes again)`)} >&2`;
}

function pruneImageTags({ layout, keep, repository, tag }: KeptReleases): string[] {
    const tags = deployedTagsFile(layout);
    return [
        // The deployed tag moves to the end of the list.
        `touch ${quote(tags)}`,
        `{ grep -vxF -e ${quote(tag)} ${quote(tags)} || true; echo ${quote(tag)}; } > ${quote(`${tags}.next`)}`,
        `mv -f ${quote(`${tags}.next`)} ${quote(tags)}`,
        `total=$(wc -l < ${quote(tags)})`,
        `if [ "$total" -gt ${keep} ]; then`,
        `  head -n $((total - ${keep})) ${quote(tags)} > ${quote(`${tags}.old`)}`,
        `  tail -n ${keep} ${quote(tags)} > ${quote(`${tags}.next`)}`,
        `  while read -r old; do`,
        `    if ! docker image inspect ${quote(`${repository}:`)}"$old" >/dev/null 2>&1; then continue; fi`,
        `    if ${words("docker", "image", "rm")} ${quote(`${repository}:`)}"$old" >/dev/null 2>&1; then`,
        `      echo ${quote(`pruned image ${repository}:`)}"$old"`,
        "    else",
        `      echo ${quote(`kept image ${repository}:`)}"$old: docker image rm refused it (a container still uses it?)"`,
        // Listed first again: the oldest, pruned by the next deploy once its container is gone.
        `      { echo "$old"; cat ${quote(`${tags}.next`)}; } > ${quote(`${tags}.retry`)}`,
        `      mv -f ${quote(`${tags}.retry`)} ${quote(`${tags}.next`)}`,
        "    fi",
        `  done < ${quote(`${tags}.old`)}`,
        `  rm -f ${quote(`${tags}.old`)}`,
        `  mv -f ${quote(`${tags}.next`)} ${quote(tags)}`,
        "fi",
    ];
}

function pruneCodeReleases({ layout, keep }: KeptReleases): string[] {
    const releases = releasesRoot(layout);
    const deployed = deployedReleasesFile(layout);
    return [
        // Directory names are releaseDirectory's, [A-Za-z0-9_.-] only.
        `current=$(basename "$(readlink ${quote(layout.code)} || true)")`,
        // A host deployed before berth kept this list: start it from the fetch order, oldest first.
        `if [ ! -f ${quote(deployed)} ]; then`,
        `  (cd ${quote(releases)} && ls -1tr -- */REF 2>/dev/null | sed 's,/REF$,,') > ${quote(`${deployed}.next`)} || true`,
        `  mv -f ${quote(`${deployed}.next`)} ${quote(deployed)}`,
        "fi",
        `{ grep -vxF -e "$current" ${quote(deployed)} || true; echo "$current"; } | tail -n ${keep} > ${quote(`${deployed}.next`)}`,
        `mv -f ${quote(`${deployed}.next`)} ${quote(deployed)}`,
        `for ref in $(cd ${quote(releases)} && ls -1 -- */REF 2>/dev/null | sed 's,/REF$,,'); do`,
        `  if [ "$ref" = "$current" ] || grep -qxF -e "$ref" ${quote(deployed)}; then continue; fi`,
        `  echo "pruned release $ref"`,
        `  rm -rf -- ${quote(releases)}/"$ref"`,
        "done",
    ];
}
