import { execFileSync } from "node:child_process";
import { inRunningCommand, oneOffCommand, planExec } from "../../../cli/exec";
import { validateConfig } from "../../../components/config";
import { labHostsConfig } from "../../support/labHosts";

const spec = validateConfig({
    hosts: labHostsConfig(),
    loadBalancer: { host: "lb-1" },
    apps: [{
        name: "sample", domain: "sample.localhost", image: { repository: "172.30.0.2:5000/berth/sample", tag: "v1" }, webPort: 8001,
        code: { repository: "git://172.30.0.2/sample.git", ref: "v1.0.0" },
        hosts: { web: ["web-1", "web-2"], worker: ["worker-1"] },
    }],
});

describe("berth exec", () => {
    it("runs on the app's first web host unless told otherwise, and on a host's own role", () => {
        const command = ["manage", "migrate", "--plan"];
        expect(planExec(spec, { app: "sample", command })).toMatchObject({ host: "web-1", role: "web" });
        expect(planExec(spec, { app: "sample", command, host: "worker-1" })).toMatchObject({ host: "worker-1", role: "worker" });
        expect(planExec(spec, { app: "sample", command, role: "web", host: "web-2" })).toMatchObject({ host: "web-2", role: "web" });
    });

    it("refuses an unknown app, a host not running it, a role it has not, and no command, before anything runs", () => {
        expect(() => planExec(spec, { app: "shop", command: ["true"] })).toThrow('no app "shop" in berth:apps (known: sample)');
        expect(() => planExec(spec, { app: "sample", command: ["true"], host: "lb-1" })).toThrow("host lb-1 does not run app sample (its web hosts: web-1, web-2)");
        expect(() => planExec(spec, { app: "sample", command: ["true"], role: "beat" })).toThrow("app sample has no beat role (its roles: web, worker)");
        expect(() => planExec(spec, { app: "sample", command: [] })).toThrow(/exec needs a command after --/);
    });

    it("starts a one-off container like a release task's: image, env file and code pointers, read-only host volume", () => {
        const command = oneOffCommand(spec.apps[0], "v2", "web-1", "web", ["manage", "shell", "-c", "print('it''s'); exit(3)"], false);
        execFileSync("dash", ["-n"], { input: command });
        expect(command).toMatch(/^docker run --rm -i --name sample-exec-[0-9a-f]{6} --label berth.app=sample --label berth.role=exec --volume \/srv\/berth\/sample:\/srv\/berth\/sample:ro --volume \/srv\/berth\/sample\/static:\/srv\/berth\/sample\/static /);
        expect(command).toContain("--env BERTH_ENV_FILE=/srv/berth/sample/env");
        expect(command).toContain("--env BERTH_IMAGE_TAG=v2");
        expect(command).toContain("172.30.0.2:5000/berth/sample:v2 manage shell -c 'print('\\''it'\\'''\\''s'\\''); exit(3)'");
        expect(oneOffCommand(spec.apps[0], "v2", "web-1", "web", ["shell"], true)).toContain("docker run --rm -it ");
    });

    it("runs inside the running container with the app's settings loaded, or says there is none", () => {
        const command = inRunningCommand(spec.apps[0], "web", ["python3", "manage.py", "check"], false);
        execFileSync("dash", ["-n"], { input: command });
        expect(command).toContain("container=$(docker ps -q --filter label=berth.app=sample --filter label=berth.role=web | head -n 1)");
        expect(command).toContain(`docker exec -i "$container" sh -c 'set -a; . "$BERTH_ENV_FILE"; set +a; cd "$BERTH_CODE_DIR" 2>/dev/null || true; exec "$@"' berth-exec python3 manage.py check`);
    });
});
