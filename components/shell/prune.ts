import { AppLayout } from "../render/layout";
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

/**
 * Prunes what the host keeps of one app after a successful deploy, and only
 * that app's: its code releases beyond the `keep` most recently fetched
 * (`releases/<ref>/REF` is rewritten by every fetch of the ref, so its
 * modification time orders them), never the one the code link points at;
 * and the images of its repository beyond the `keep` most recently deployed
 * tags (recorded in deployedTagsFile: pull times and build times say
 * nothing of the order they were deployed in). The deployed and the previous
 * release are the two most recent, so `keep` ≥ 2 never prunes them. An image
 * a container still uses stays, and stays listed, for the next prune.
 */
export function pruneKeptReleases(kept: KeptReleases): string {
    const { layout, keep, repository, tag } = kept;
    const tags = deployedTagsFile(layout);
    const releases = `${layout.root}/releases`;
    return strictScript(
        // Image tags: the deployed one moves to the end of the list.
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
        `      echo ${quote(`kept image ${repository}:`)}"$old: a container still uses it"`,
        // Listed first again: the oldest, pruned by the next deploy once its container is gone.
        `      { echo "$old"; cat ${quote(`${tags}.next`)}; } > ${quote(`${tags}.retry`)}`,
        `      mv -f ${quote(`${tags}.retry`)} ${quote(`${tags}.next`)}`,
        "    fi",
        `  done < ${quote(`${tags}.old`)}`,
        `  rm -f ${quote(`${tags}.old`)}`,
        `  mv -f ${quote(`${tags}.next`)} ${quote(tags)}`,
        "fi",
        ...(kept.withReleases
            ? [
                  // Code releases: directory names are releaseDirectory's, [A-Za-z0-9_.-] only.
                  `current=$(basename "$(readlink ${quote(layout.code)} || true)")`,
                  "n=0",
                  `for ref in $(cd ${quote(releases)} && ls -1t -- */REF 2>/dev/null | sed 's,/REF$,,'); do`,
                  "  n=$((n + 1))",
                  `  if [ "$n" -le ${keep} ] || [ "$ref" = "$current" ]; then continue; fi`,
                  `  echo "pruned release $ref"`,
                  `  rm -rf -- ${quote(releases)}/"$ref"`,
                  "done",
              ]
            : []),
    );
}
