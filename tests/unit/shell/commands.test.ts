import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appLayout } from "../../../components/render/layout";
import {
    fetchRelease, gitRevision, installEnvFile, installFileFromStdin, installNginxConf, prepareAppRoot, releaseDirectory,
    restartRoleUnlessStartedAfterSwitch, runOneShotTask, switchedRevisionFile, switchReleaseAndReload, waitForHttp,
} from "../../../components/shell/commands";
import { temporaryDirectory } from "../../support/files";

const layout = appLayout("antisocial");

describe("command builders", () => {
    it("prepares the host volume", () => {
        expect(prepareAppRoot(layout)).toBe(
            "mkdir -p /srv/berth/antisocial /srv/berth/antisocial/releases /srv/berth/antisocial/static /srv/berth/antisocial/run" +
                " && chmod 0755 /srv/berth/antisocial /srv/berth/antisocial/static /srv/berth/antisocial/run" +
                " && chown 0:0 /srv/berth/antisocial/static /srv/berth/antisocial/run",
        );
        // Only the directories the app writes belong to its user.
        expect(prepareAppRoot(layout, { uid: 10001, gid: 10002 })).toMatch(/ && chown 10001:10002 \/srv\/berth\/antisocial\/static \/srv\/berth\/antisocial\/run$/);
    });

    it("installs the env file for the app's user: group-readable for a non-root user, root-only otherwise", () => {
        expect(installEnvFile(layout, "registry/antisocial:v1", { uid: 10001, gid: 10002 }, "antisocial")).toBe(
            "umask 077 && cat > /srv/berth/antisocial/env.berth-tmp && chgrp 10002 /srv/berth/antisocial/env.berth-tmp && chmod 0640 /srv/berth/antisocial/env.berth-tmp && mv -f /srv/berth/antisocial/env.berth-tmp /srv/berth/antisocial/env",
        );
        expect(installEnvFile(layout, "registry/antisocial:v1", { uid: 0, gid: 0 }, "antisocial")).toBe(installFileFromStdin(layout.envFile, "0600"));
        // Without a configured user, the image's USER must be root: checked before the file is written.
        expect(installEnvFile(layout, "registry/antisocial:v1", undefined, "antisocial").split("\n")).toEqual([
            "set -eu",
            "user=$(docker image inspect --format '{{.Config.User}}' registry/antisocial:v1)",
            `case "$user" in ""|root|0|root:*|0:*) ;; *) echo 'berth: registry/antisocial:v1 runs as USER '"$user"', not root, and the user of app antisocial (berth:apps[].user) is not set: set it to the numeric uid:gid of that user (such as "10001:10001") so berth can give the app its files' >&2; exit 1 ;; esac`,
            installFileFromStdin(layout.envFile, "0600"),
        ]);
    });

    it("installs files atomically with a private umask", () => {
        expect(installFileFromStdin("/srv/berth/antisocial/env", "0600")).toBe(
            "umask 077 && cat > /srv/berth/antisocial/env.berth-tmp && chmod 0600 /srv/berth/antisocial/env.berth-tmp && mv -f /srv/berth/antisocial/env.berth-tmp /srv/berth/antisocial/env",
        );
    });

    it("maps refs to release directories and git revisions", () => {
        expect(releaseDirectory(layout, "tags/release/7")).toBe("/srv/berth/antisocial/releases/tags_release_7");
        expect(gitRevision("v1.2.0", ["main"])).toBe("refs/tags/v1.2.0");
        expect(gitRevision("tags/rc1", [])).toBe("refs/tags/rc1");
        expect(gitRevision("main", ["main"])).toBe("origin/main");
    });

    it("fetches a release with \"--\" before the user's repository URL, so git never reads it as an option", () => {
        expect(fetchRelease(layout, "https://github.com/example/antisocial.git", "v1.2.0", []).split("\n")).toEqual([
            "set -eu",
            "if [ ! -d /srv/berth/antisocial/releases/v1.2.0/.git ]; then",
            "  rm -rf /srv/berth/antisocial/releases/v1.2.0.berth-tmp",
            "  git clone --quiet --no-checkout -- https://github.com/example/antisocial.git /srv/berth/antisocial/releases/v1.2.0.berth-tmp",
            "  mv /srv/berth/antisocial/releases/v1.2.0.berth-tmp /srv/berth/antisocial/releases/v1.2.0",
            "fi",
            "cd /srv/berth/antisocial/releases/v1.2.0",
            "git fetch --quiet --force --tags origin",
            "commit=$(git rev-parse --verify --quiet 'refs/tags/v1.2.0^{commit}') || { echo 'berth: v1.2.0 (refs/tags/v1.2.0) is not in https://github.com/example/antisocial.git' >&2; exit 1; }",
            'git checkout --quiet --force --detach "$commit"',
            "git rev-parse HEAD > REVISION",
            "echo v1.2.0 > REF",
        ]);
    });

    it("switches the code link, touches the ini and waits for the reload where the web container runs", () => {
        expect(switchReleaseAndReload(layout, "v2", { appName: "antisocial", runtimes: ["/srv/berth/antisocial/run/web-8001", "/srv/berth/antisocial/run/web-8002"] }, 60)).toBe([
            "set -eu",
            "if [ \"$(readlink /srv/berth/antisocial/code || true)\" = /srv/berth/antisocial/releases/v2 ] && [ -s /srv/berth/antisocial/switched-revision ] && " +
                "[ \"$(cat /srv/berth/antisocial/releases/v2/REVISION)\" = \"$(cat /srv/berth/antisocial/switched-revision)\" ] && " +
                "[ -n \"$(find /srv/berth/antisocial/run/web-8001/uwsgi.ready /srv/berth/antisocial/run/web-8002/uwsgi.ready -newer /srv/berth/antisocial/uwsgi.ini 2>/dev/null)\" ]; then",
            "  echo 'already switched to v2 and reloaded'",
            "  exit 0",
            "fi",
            "ln -sfn /srv/berth/antisocial/releases/v2 /srv/berth/antisocial/code.berth-next",
            "mv -Tf /srv/berth/antisocial/code.berth-next /srv/berth/antisocial/code",
            "touch /srv/berth/antisocial/uwsgi.ini",
            "running=$(docker ps -q --filter label=berth.app=antisocial --filter label=berth.role=web)",
            "if [ -n \"$running\" ]; then",
            "  if [ -p /srv/berth/antisocial/run/web-8001/uwsgi.fifo ]; then timeout 2 sh -c 'printf r > /srv/berth/antisocial/run/web-8001/uwsgi.fifo' || true; fi",
            "  if [ -p /srv/berth/antisocial/run/web-8002/uwsgi.fifo ]; then timeout 2 sh -c 'printf r > /srv/berth/antisocial/run/web-8002/uwsgi.fifo' || true; fi",
            "  deadline=$(( $(date +%s) + 60 ))",
            "  until [ -n \"$(find /srv/berth/antisocial/run/web-8001/uwsgi.ready /srv/berth/antisocial/run/web-8002/uwsgi.ready -newer /srv/berth/antisocial/uwsgi.ini 2>/dev/null)\" ]; do",
            "    if [ \"$(date +%s)\" -ge \"$deadline\" ]; then echo 'uWSGI did not finish reloading v2 within 60s' >&2; exit 1; fi",
            "    sleep 0.2",
            "  done",
            "fi",
            "cp -f /srv/berth/antisocial/releases/v2/REVISION /srv/berth/antisocial/switched-revision",
        ].join("\n"));
    });

    it("with reload: chain, reads each container's workers before the link moves and waits until all of them are new", () => {
        const script = switchReleaseAndReload(layout, "v2", { appName: "antisocial", runtimes: ["/srv/berth/antisocial/run/web-8001", "/srv/berth/antisocial/run/web-8002"] }, 60, "chain").split("\n");
        const line = (text: string) => script.indexOf(text);
        const before = line("workers_before_0=$(uwsgi_workers /srv/berth/antisocial/run/web-8001/uwsgi.stats)");
        expect(before).toBeGreaterThan(0);
        expect(line("workers_before_1=$(uwsgi_workers /srv/berth/antisocial/run/web-8002/uwsgi.stats)")).toBe(before + 1);
        expect(line("mv -Tf /srv/berth/antisocial/code.berth-next /srv/berth/antisocial/code")).toBeGreaterThan(before + 1);
        expect(script).toContain("  if [ -p /srv/berth/antisocial/run/web-8001/uwsgi.fifo ]; then timeout 2 sh -c 'printf c > /srv/berth/antisocial/run/web-8001/uwsgi.fifo' || true; fi");
        // Every container that answered is replaced; one that never answered (started without stats) falls back to its ready file.
        expect(script).toContain(
            "  until workers_replaced /srv/berth/antisocial/run/web-8001/uwsgi.stats \"$workers_before_0\" && workers_replaced /srv/berth/antisocial/run/web-8002/uwsgi.stats \"$workers_before_1\" && " +
                "{ [ -n \"$workers_before_0$workers_before_1\" ] || [ -n \"$(find /srv/berth/antisocial/run/web-8001/uwsgi.ready /srv/berth/antisocial/run/web-8002/uwsgi.ready -newer /srv/berth/antisocial/uwsgi.ini 2>/dev/null)\" ]; }; do",
        );
        // Done: the ready files say so, for the next switch's "already reloaded" check; then the switch is recorded.
        expect(line("  touch -c /srv/berth/antisocial/run/web-8001/uwsgi.ready /srv/berth/antisocial/run/web-8002/uwsgi.ready")).toBe(line("cp -f /srv/berth/antisocial/releases/v2/REVISION /srv/berth/antisocial/switched-revision") - 2);
    });

    it("runs a release task once, with the new release's code", () => {
        expect(runOneShotTask({
            containerName: "antisocial-release-manage",
            image: "127.0.0.1:5000/antisocial:v2",
            layout,
            environment: { BERTH_CODE_DIR: "/srv/berth/antisocial/releases/v2", BERTH_APP: "antisocial" },
            task: "manage clearsessions",
            user: { uid: 10001, gid: 10001 },
        })).toBe(
            "docker rm -f antisocial-release-manage >/dev/null 2>&1 || true && docker run --rm --name antisocial-release-manage " +
                // The host volume read-only, but for collectstatic's output.
                "--volume /srv/berth/antisocial:/srv/berth/antisocial:ro --volume /srv/berth/antisocial/static:/srv/berth/antisocial/static " +
                "--user 10001:10001 --env BERTH_APP=antisocial --env BERTH_CODE_DIR=/srv/berth/antisocial/releases/v2 127.0.0.1:5000/antisocial:v2 manage clearsessions",
        );
    });

    it("restarts a worker with a grace period unless it started after the code switch", () => {
        expect(restartRoleUnlessStartedAfterSwitch("antisocial", "worker", 30, layout.code, "127.0.0.1:5000/antisocial:v2")).toBe([
            "set -eu",
            "names=$(docker ps --format '{{.Names}}' --filter label=berth.app=antisocial --filter label=berth.role=worker)",
            "for name in $names; do",
            "  if [ \"$(docker inspect -f '{{.Config.Image}}' \"$name\")\" != 127.0.0.1:5000/antisocial:v2 ]; then",
            "    echo \"$name runs another image: the deploy replaces it\"",
            "    continue",
            "  fi",
            "  started=$(date -d \"$(docker inspect -f '{{.State.StartedAt}}' \"$name\")\" +%s.%N)",
            "  switched=$(stat -c %.9Y /srv/berth/antisocial/code)",
            "  if awk -v started=\"$started\" -v switched=\"$switched\" 'BEGIN { exit !(started > switched) }'; then",
            "    echo \"$name started after the code switch: it already runs this release\"",
            "  else",
            "    docker restart --time 30 \"$name\"",
            "  fi",
            "done",
        ].join("\n"));
    });

    it("tests nginx configs before installing them and reloads, never restarts", () => {
        expect(installNginxConf("/srv/berth/nginx", "berth-nginx")).toBe([
            "set -eu",
            "cat > /srv/berth/nginx/nginx.conf.next",
            // The lock on nginx's files: no certificate is rewritten while nginx tests and reloads.
            "exec 9> /srv/berth/nginx/.berth-lock",
            "flock -w 900 9 || { echo 'nginx'\\''s files stayed locked (/srv/berth/nginx/.berth-lock) for 15 minutes: a certificate run is stuck?' >&2; exit 1; }",
            "docker exec berth-nginx nginx -t -q -c /srv/berth/nginx/nginx.conf.next",
            "mv -f /srv/berth/nginx/nginx.conf.next /srv/berth/nginx/nginx.conf",
            "docker exec berth-nginx nginx -s reload",
            "sleep 0.2",
            "for attempt in $(seq 1 75); do",
            `  [ "$(docker exec berth-nginx sh -c 'for title in /proc/[0-9]*/cmdline; do tr '\\''\\0'\\'' '\\'' '\\'' < "$title" 2>/dev/null; echo; done | grep -c '\\''shutting [d]own'\\'' || true')" = 0 ] && break`,
            "  sleep 0.2",
            "done",
        ].join("\n"));
    });
});

describe("the commands in a real shell", () => {
    const scratch = temporaryDirectory("commands");
    const sh = (script: string, input?: string) => execFileSync("/bin/bash", ["-c", script], { input, encoding: "utf8", cwd: scratch });

    it("installs a 0600 file from standard input", () => {
        const path = join(scratch, "env");
        sh(installFileFromStdin(path, "0600"), "SECRET_KEY='s3cr3t'\n");
        expect(readFileSync(path, "utf8")).toBe("SECRET_KEY='s3cr3t'\n");
        expect(execFileSync("stat", ["-c", "%a", path], { encoding: "utf8" }).trim()).toBe("600");
    });

    it("fetches tags and allowed branches into release directories and switches between them", () => {
        const origin = join(scratch, "origin");
        mkdirSync(origin);
        const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: origin, encoding: "utf8" });
        git("init", "--quiet", "--initial-branch=main");
        writeFileSync(join(origin, "app.py"), "VERSION = 1\n");
        git("add", "app.py");
        git("commit", "--quiet", "-m", "one");
        git("tag", "v1");
        writeFileSync(join(origin, "app.py"), "VERSION = 2\n");
        git("commit", "--quiet", "-am", "two");

        const local = appLayout("antisocial", join(scratch, "srv"));
        sh(prepareAppRoot(local));
        writeFileSync(local.uwsgiIni, "[uwsgi]\n");
        sh(fetchRelease(local, origin, "v1", ["main"]));
        sh(fetchRelease(local, origin, "main", ["main"]));
        // Fetching again is a no-op that still succeeds.
        sh(fetchRelease(local, origin, "v1", ["main"]));

        sh(switchReleaseAndReload(local, "v1", { appName: "berth-test-no-such-app", runtimes: [local.runtime] }, 5));
        expect(readFileSync(join(local.code, "app.py"), "utf8")).toBe("VERSION = 1\n");
        expect(readFileSync(join(local.code, "REF"), "utf8")).toBe("v1\n");
        sh(switchReleaseAndReload(local, "main", { appName: "berth-test-no-such-app", runtimes: [local.runtime] }, 5));
        expect(readlinkSync(local.code)).toBe(releaseDirectory(local, "main"));
        expect(readFileSync(join(local.code, "app.py"), "utf8")).toBe("VERSION = 2\n");
        expect(readFileSync(join(local.code, "REVISION"), "utf8").trim()).toBe(git("rev-parse", "main").trim());

        // Switching again to where the host already is (rollback's flip, then the up that records it) moves nothing.
        const switchedAt = lstatSync(local.code).mtimeMs;
        expect(sh(switchReleaseAndReload(local, "main", undefined, 5))).toBe("already switched to main\n");
        expect(lstatSync(local.code).mtimeMs).toBe(switchedAt);
        // A branch that moved is the same directory with another commit: switched (and reloaded) again.
        writeFileSync(join(origin, "app.py"), "VERSION = 3\n");
        git("commit", "--quiet", "-am", "three");
        sh(fetchRelease(local, origin, "main", ["main"]));
        expect(sh(switchReleaseAndReload(local, "main", undefined, 5))).toBe("");
        expect(lstatSync(local.code).mtimeMs).toBeGreaterThan(switchedAt);
        expect(readFileSync(switchedRevisionFile(local), "utf8").trim()).toBe(git("rev-parse", "main").trim());
    });

    it("fails a fetch of a ref that does not exist, naming it", () => {
        const local = appLayout("antisocial", join(scratch, "srv"));
        expect(() => sh(fetchRelease(local, join(scratch, "origin"), "v9", []) + " 2>&1")).toThrow(/berth: v9 \(refs\/tags\/v9\) is not in /);
    });

    it("takes an option-like repository as a repository, never as an option of git clone", () => {
        const local = appLayout("antisocial", join(scratch, "srv-options"));
        sh(prepareAppRoot(local));
        const pwned = join(scratch, "pwned-upload-pack");
        let output = "";
        try {
            sh(`(${fetchRelease(local, `--upload-pack=touch ${pwned}`, "v1", [])}) 2>&1`);
        } catch (error) {
            output = String((error as { stdout?: string }).stdout);
        }
        expect(output).toContain(`repository '--upload-pack=touch ${pwned}' does not exist`);
        expect(existsSync(pwned)).toBe(false);
    });

    it("gives up waiting for a URL that never answers", () => {
        expect(() => sh(waitForHttp("http://127.0.0.1:9/healthz", "antisocial.example", 1) + " 2>&1")).toThrow(/\(Host: antisocial.example\) did not answer 2xx within 1s/);
    });
});
