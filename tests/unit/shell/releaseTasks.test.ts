import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { appLayout } from "../../../components/render/layout";
import { fetchRelease, prepareAppRoot } from "../../../components/shell/commands";
import { runWhenInputsChanged, taskRecordFile } from "../../../components/shell/releaseTasks";
import { temporaryDirectory } from "../../support/files";

// The decision runs in a real shell against real git checkouts; the task itself is a stand-in
// that appends to a file (the real tasks run in containers, tested in the lab).
describe("release tasks only when their inputs changed", () => {
    const scratch = temporaryDirectory("release-tasks");
    const origin = join(scratch, "origin");
    const layout = appLayout("antisocial", join(scratch, "srv"));
    const ranLog = join(scratch, "ran");
    // `docker image inspect -f {{.Id}} IMAGE` answers an ID made from the reference: which image is
    // which is all the decision reads (the lab runs it against real images).
    const fakeBin = join(scratch, "bin");
    const sh = (script: string) => execFileSync("/bin/bash", ["-c", script], { encoding: "utf8", cwd: scratch, env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` } });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: origin, encoding: "utf8" });
    const commitAndTag = (tag: string, files: Record<string, string>) => {
        for (const [path, content] of Object.entries(files)) {
            mkdirSync(dirname(join(origin, path)), { recursive: true });
            writeFileSync(join(origin, path), content);
        }
        git("add", "--all");
        git("commit", "--quiet", "--allow-empty", "-m", tag);
        git("tag", tag);
        sh(fetchRelease(layout, origin, tag, []));
    };
    /** Runs both tasks for a ref on an image; returns which ran. */
    const release = (ref: string, image: string, failing = false, settingsModule?: string) => {
        const ran: string[] = [];
        for (const task of ["migrate", "collectstatic"]) {
            const script = runWhenInputsChanged(layout, task, ref, image, failing ? "false" : `echo ${task} >> ${ranLog}`, settingsModule);
            let output: string;
            let failed = false;
            try {
                output = sh(script);
            } catch (error) {
                failed = true;
                output = (error as { stdout: string }).stdout;
            }
            if (output.includes(`berth: ${task} runs:`)) {
                // A failing task fails the script (so the release step, so the rollout).
                expect({ task, failed }).toEqual({ task, failed: failing });
                ran.push(`${task}: ${output.split("runs: ")[1].split("\n")[0]}`);
            } else {
                expect(output).toContain(`berth: ${task} skipped: the same image, and no change to its inputs`);
            }
        }
        return ran;
    };

    beforeAll(() => {
        mkdirSync(fakeBin);
        writeFileSync(join(fakeBin, "docker"), '#!/bin/sh\n[ "$1 $2" = "image inspect" ] || exit 2\necho "sha256:id-of-$5"\n', { mode: 0o755 });
        mkdirSync(origin);
        git("init", "--quiet", "--initial-branch=main");
        sh(prepareAppRoot(layout));
    });

    it("runs each task the first time, then only when the new commit changes its inputs or the image changes", () => {
        commitAndTag("v1", { "shop/models.py": "1", "shop/migrations/0001_initial.py": "1", "shop/static/shop.css": "a{}", "site/settings.py": "DEBUG = False" });
        expect(release("v1", "app:1")).toEqual(["migrate: no earlier run on this host", "collectstatic: no earlier run on this host"]);
        expect(release("v1", "app:1")).toEqual([]);

        commitAndTag("v2", { "shop/views.py": "def index(): pass", "shop/templates/shop/index.html": "<h1>" });
        expect(release("v2", "app:1")).toEqual([]);

        commitAndTag("v3", { "shop/static/shop.css": "a{color:red}", "shop/templates/index.html": "<p>" });
        expect(release("v3", "app:1")).toEqual(["collectstatic: a file other than Python code and templates, or a settings file changed"]);

        commitAndTag("v4", { "shop/migrations/0002_price.py": "2" });
        expect(release("v4", "app:1")).toEqual(["migrate: a migration or settings file changed"]);

        // Settings name the installed apps and the static storage: both run.
        commitAndTag("v5", { "site/settings.py": "DEBUG = False\nINSTALLED_APPS = ['shop', 'blog']" });
        expect(release("v5", "app:1")).toEqual(["migrate: a migration or settings file changed", "collectstatic: a file other than Python code and templates, or a settings file changed"]);
        // Settings under another name, in the package of DJANGO_SETTINGS_MODULE: both run too.
        commitAndTag("v5.1", { "config/base.py": "INSTALLED_APPS = ['shop', 'blog', 'news']" });
        expect(release("v5.1", "app:1", false, "config.base")).toEqual(["migrate: a migration or settings file changed", "collectstatic: a file other than Python code and templates, or a settings file changed"]);

        expect(release("v5", "app:2")).toEqual(["migrate: the image changed", "collectstatic: the image changed"]);
    });

    it("runs a task again after it failed: only a success is recorded", () => {
        commitAndTag("v6", { "shop/migrations/0003_stock.py": "3" });
        expect(release("v6", "app:2", true)).toEqual(["migrate: a migration or settings file changed"]);
        expect(release("v6", "app:2")).toEqual(["migrate: a migration or settings file changed"]);
        expect(release("v6", "app:2")).toEqual([]);
    });

    it("runs a task whose last commit the new release does not have (history rewritten), and any task it knows nothing of", () => {
        writeFileSync(taskRecordFile(layout, "migrate"), "sha256:id-of-app:2 0123456789abcdef0123456789abcdef01234567\n");
        expect(release("v6", "app:2")).toEqual(["migrate: the commit it last ran for is not in this release's clone"]);
        expect(runWhenInputsChanged(layout, "manage clearsessions", "v6", "app:2", "run-it")).toBe("run-it");
        expect(existsSync(taskRecordFile(layout, "collectstatic"))).toBe(true);
    });
});
