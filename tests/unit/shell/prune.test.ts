// The prune script run by sh on a real directory tree: which releases and
// tag records survive. (Images themselves are pruned by the engine test, with
// a real Docker daemon: here the repository does not exist, so no image is
// touched.)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appLayout } from "../../../components/render/layout";
import { listKeptReleases } from "../../../components/shell/keptReleases";
import { deployedReleasesFile, deployedTagsFile, pruneKeptReleases } from "../../../components/shell/prune";
import { temporaryDirectory } from "../../support/files";

const REPOSITORY = "berth-prune-test.invalid/none";

async function runPrune(root: string, tag: string, keep: number, withReleases = true): Promise<string> {
    const script = pruneKeptReleases({ layout: appLayout("sample", root), keep, repository: REPOSITORY, tag, withReleases });
    const { stdout } = await promisify(execFile)("sh", ["-c", script]);
    return stdout;
}

/** A fetched release whose REF was written `minutesAgo`. */
function release(root: string, ref: string, minutesAgo: number): void {
    const directory = join(root, "releases", ref);
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, "REF"), `${ref}\n`);
    const when = new Date(Date.now() - minutesAgo * 60_000);
    utimesSync(join(directory, "REF"), when, when);
}

/** A successful deploy of a fetched release: the code link switched to it, then the prune that follows. */
function deployed(root: string, ref: string, tag: string, keep: number): Promise<string> {
    rmSync(join(root, "code"), { force: true });
    symlinkSync(join(root, "releases", ref), join(root, "code"));
    return runPrune(root, tag, keep);
}

describe("pruning what a host keeps of an app", () => {
    const base = temporaryDirectory("prune");
    let roots = 0;
    const appRoot = () => {
        const root = join(base, `app-${++roots}`);
        mkdirSync(root);
        return root;
    };

    it("on a host deployed before the list was kept: keeps the linked release and the most recently fetched, up to keepReleases", async () => {
        const root = appRoot();
        ["v1", "v2", "v3", "v4", "v5"].forEach((ref, index) => release(root, ref, 50 - index * 10));
        // A clone in progress has no REF yet: never touched.
        mkdirSync(join(root, "releases", "v6.berth-tmp"), { recursive: true });
        // The code link points at an old one (a rollback to v1 whose fetch did not run again).
        symlinkSync(join(root, "releases", "v1"), join(root, "code"));
        const printed = await runPrune(root, "t1", 2);
        expect(readdirSync(join(root, "releases")).sort()).toEqual(["v1", "v5", "v6.berth-tmp"]);
        expect(printed.split("\n").filter((line) => line.startsWith("pruned release")).sort()).toEqual(["pruned release v2", "pruned release v3", "pruned release v4"]);
        expect(readFileSync(deployedReleasesFile(appLayout("sample", root)), "utf8")).toBe("v5\nv1\n");
    });

    it("orders releases by deploy, not by fetch: one fetched for a rollout that failed never pushes out the previous one", async () => {
        const root = appRoot();
        release(root, "a", 30);
        await deployed(root, "a", "t1", 2);
        // b is fetched, its rollout fails (no prune runs), then d is deployed.
        release(root, "b", 20);
        release(root, "d", 10);
        const printed = await deployed(root, "d", "t2", 2);
        expect(readdirSync(join(root, "releases")).sort()).toEqual(["a", "d"]);
        expect(printed).toContain("pruned release b");
    });

    it("berth releases lists the kept releases newest deploy first, then one fetched but never deployed", async () => {
        const root = appRoot();
        // a deployed, then c, then a again (a rollback); b fetched for a rollout that failed, after all of them.
        release(root, "a", 40);
        release(root, "c", 30);
        for (const [ref, tag] of [["a", "t1"], ["c", "t2"], ["a", "t3"]]) {
            await deployed(root, ref, tag, 5);
        }
        release(root, "b", 5);
        writeFileSync(join(root, "releases", "a", "REVISION"), "1111111aaaa\n");
        const { stdout } = await promisify(execFile)("sh", ["-c", listKeptReleases(appLayout("sample", root), REPOSITORY)]);
        expect(stdout.split("\n").filter((line) => line.startsWith("release") || line.startsWith("linked"))).toEqual([
            "release a 1111111aaaa deployed",
            "release c unknown deployed",
            "release b unknown fetched",
            "linked a",
        ]);
    });

    it("never fails the deploy: a prune that cannot work says so and exits 0", async () => {
        const root = appRoot();
        writeFileSync(join(root, "deployed-image-tags.next"), "");
        mkdirSync(join(root, "deployed-image-tags"));
        const script = pruneKeptReleases({ layout: appLayout("sample", root), keep: 2, repository: REPOSITORY, tag: "t1", withReleases: false });
        const { stderr } = await promisify(execFile)("sh", ["-c", script]);
        expect(stderr).toContain("berth: pruning what");
    });

    it("keeps every release when there are no more than keepReleases", async () => {
        const root = appRoot();
        ["v1", "v2", "v3"].forEach((ref, index) => release(root, ref, 30 - index * 10));
        symlinkSync(join(root, "releases", "v3"), join(root, "code"));
        await runPrune(root, "t1", 5);
        expect(readdirSync(join(root, "releases")).sort()).toEqual(["v1", "v2", "v3"]);
    });

    it("records deployed tags in deploy order, the deployed one last, and keeps at most keepReleases", async () => {
        const root = appRoot();
        for (const tag of ["v1", "v2", "v3", "v2", "v4"]) {
            await runPrune(root, tag, 3, false);
        }
        // v2 was deployed again after v3: its record moved to the end before v4's.
        expect(readFileSync(deployedTagsFile(appLayout("sample", root)), "utf8")).toBe("v3\nv2\nv4\n");
        // An app without a code volume has no releases directory to prune.
        expect(existsSync(join(root, "releases"))).toBe(false);
    });
});
