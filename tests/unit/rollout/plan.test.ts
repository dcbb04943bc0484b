import { validateConfig } from "../../../components/config";
import { appHosts, describeRollout, planRollout } from "../../../components/rollout/plan";

const spec = validateConfig({
    hosts: [
        { name: "web-1", address: "10.0.0.1", roles: ["web"] },
        { name: "web-2", address: "10.0.0.2", roles: ["web"] },
        { name: "worker-1", address: "10.0.0.3", roles: ["worker", "beat"] },
        { name: "lb-1", address: "10.0.0.4", roles: ["loadbalancer"] },
    ],
    loadBalancer: { host: "lb-1" },
    apps: [{
        name: "antisocial", domain: "antisocial.example.com", image: { repository: "registry.example.com/antisocial", tag: "build-42" },
        code: { repository: "/srv/git/antisocial.git", ref: "v3.1.0" }, webPort: 8001,
        hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] }, release: ["migrate", "collectstatic", "compress"],
    }],
});
const [app] = spec.apps;

describe("the rollout plan", () => {
    it("pulls and checks out on every host of the app, never on a load balancer that runs none of its roles", () => {
        expect(appHosts(app)).toEqual(["web-1", "web-2", "worker-1"]);
        expect(appHosts({ ...app, release: ["migrate"] })).toEqual(["web-1", "web-2", "worker-1"]);
    });

    it("runs every release task on the code path with releaseWhen: always", () => {
        expect(describeRollout({ ...app, releaseWhen: "always" }, "code").slice(1, 3)).toEqual([
            "2. run migrate, compress once on web-1",
            "3. run collectstatic on web-1, web-2, where uWSGI serves the static files to nginx and the app reads them (in parallel, alongside the release tasks)",
        ]);
    });

    it("orders an image rollout: pull, checkout, release once, web host by host, workers, beat, prune", () => {
        expect(planRollout(app).map((step) => step.kind)).toEqual(["pull", "checkout", "release", "static", "web", "restart", "web", "worker", "beat", "prune"]);
        expect(describeRollout(app, "image")).toEqual([
            "1. pull registry.example.com/antisocial:build-42 on web-1, web-2, worker-1 (in parallel)",
            "2. check out v3.1.0 into the host volume on web-1, web-2, worker-1",
            "3. run migrate, compress once on web-1",
            "4. run collectstatic on web-1, web-2, where uWSGI serves the static files to nginx and the app reads them (in parallel, alongside the release tasks)",
            "5. web on web-1: start build-42 beside the old container on the other port, wait until healthy, point nginx at it, stop the old one (capacity kept)",
            "6. web on web-2: start build-42 beside the old container on the other port, wait until healthy, point nginx at it, stop the old one (capacity kept)",
            "7. replace celery workers on worker-1 (the new beside the old, then the old one's warm shutdown)",
            "8. replace celery beat on worker-1 (stop first: never two beats)",
            "9. keep the last 5 code releases and image tags on web-1, web-2, worker-1, prune older ones (never the deployed or the previous one)",
        ]);
    });

    it("describes the code path without pulls or replacements, workers and beat restarting beside the last web host", () => {
        expect(describeRollout(app, "code")).toEqual([
            "1. check out v3.1.0 into the host volume on web-1, web-2, worker-1",
            "2. run migrate, compress once on web-1 (migrate only if a migration or settings file changed since it last ran there; releaseWhen: always runs it every time)",
            "3. run collectstatic on web-1, web-2, where uWSGI serves the static files to nginx and the app reads them " +
                "(in parallel, alongside the release tasks; collectstatic only if a file other than Python code and templates, or a settings file changed since it last ran there; releaseWhen: always runs it every time)",
            "4. web on web-1: switch the code to v3.1.0, touch the uWSGI ini, wait until healthy",
            "5. restart celery worker and beat on worker-1 (warm shutdown; alongside web-2's reload: they serve no requests)",
            "6. web on web-2: switch the code to v3.1.0, touch the uWSGI ini, wait until healthy",
            "7. keep the last 5 code releases and image tags on web-1, web-2, worker-1, prune older ones (never the deployed or the previous one)",
        ]);
    });
});
