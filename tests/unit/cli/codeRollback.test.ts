import { validateConfig } from "../../../components/config";
import { CodeFlip, fleetOf, flipWaves, planCodeFlips } from "../../../cli/codeRollback";
import { stackStateOf } from "../../../cli/stackState";

const spec = validateConfig({
    hosts: [
        { name: "web-1", address: "10.0.0.11", roles: ["web"] },
        { name: "web-2", address: "10.0.0.12", roles: ["web", "worker"] },
        { name: "worker-1", address: "10.0.0.13", roles: ["worker", "beat"] },
        { name: "lb-1", address: "10.0.0.10", roles: ["loadbalancer"] },
    ],
    loadBalancer: { host: "lb-1" },
    apps: [
        {
            name: "sample", domain: "sample.example.com", image: { repository: "registry.example.com/sample", tag: "v2" },
            code: { repository: "https://git.example.com/sample.git", ref: "v1.1.0" }, webPort: 8001,
            hosts: { web: ["web-1", "web-2"], worker: ["web-2", "worker-1"], beat: ["worker-1"] },
        },
        {
            name: "baked", domain: "baked.example.com", image: { repository: "registry.example.com/baked", tag: "v7" }, webPort: 8101,
            hosts: { web: ["web-1"], worker: ["worker-1"], beat: ["worker-1"] },
        },
    ],
});
const deployed = { sample: { tag: "v2", codeRef: "v1.1.0" }, baked: { tag: "v7" } };

describe("rollback's direct code flip", () => {
    it("flips web hosts in order, each with the worker and beat containers that run there, then the other hosts", () => {
        const plan = planCodeFlips(deployed, { sample: { tag: "v2", codeRef: "v1.0.0" } }, spec.apps);
        expect("flips" in plan && plan.flips.map((flip) => ({ app: flip.app.name, ref: flip.ref, hosts: flip.hosts }))).toEqual([{
            app: "sample",
            ref: "v1.0.0",
            hosts: [
                { host: "web-1", web: true, restart: [] },
                { host: "web-2", web: true, restart: ["worker"] },
                { host: "worker-1", web: false, restart: ["worker", "beat"] },
            ],
        }]);
    });

    it("takes web hosts one at a time with reload: touch, the worker and beat hosts beside the last; every host at once with reload: chain", () => {
        const [app] = spec.apps;
        const flip = (reload: "touch" | "chain"): CodeFlip => {
            const plan = planCodeFlips(deployed, { sample: { tag: "v2", codeRef: "v1.0.0" } }, [{ ...app, reload }]);
            if (!("flips" in plan)) {
                throw new Error(plan.fullDeploy);
            }
            return plan.flips[0];
        };
        const hostNames = (waves: { host: string }[][]) => waves.map((wave) => wave.map(({ host }) => host));
        expect(hostNames(flipWaves(flip("touch")))).toEqual([["web-1"], ["web-2", "worker-1"]]);
        expect(hostNames(flipWaves(flip("chain")))).toEqual([["web-1", "web-2", "worker-1"]]);
        // An app with no web host to wait for: its worker and beat hosts at once.
        expect(hostNames(flipWaves({ ...flip("touch"), hosts: flip("touch").hosts.filter(({ web }) => !web) }))).toEqual([["worker-1"]]);
    });

    it("leaves to a full deploy what a link flip cannot roll back, saying why", () => {
        expect(planCodeFlips(deployed, { sample: { tag: "v1", codeRef: "v1.0.0" } }, spec.apps)).toEqual({ fullDeploy: "sample's image changes (v2 → v1)" });
        expect(planCodeFlips(deployed, { baked: { tag: "v7" } }, spec.apps)).toEqual({ fullDeploy: "baked has no code volume (berth:apps[].code)" });
        expect(planCodeFlips({ baked: { tag: "v7" } }, { sample: { tag: "v2", codeRef: "v1.0.0" } }, spec.apps)).toEqual({ fullDeploy: "sample is not deployed by this stack yet" });
        expect(planCodeFlips(deployed, { sample: { tag: "v2", codeRef: "v1.1.0" } }, spec.apps)).toEqual({ fullDeploy: "no code ref changes" });
        // One app that cannot flip sends the whole rollback through pulumi up: the hosts never sit half on each path.
        expect(planCodeFlips(deployed, { sample: { tag: "v2", codeRef: "v1.0.0" }, baked: { tag: "v6" } }, spec.apps)).toEqual({ fullDeploy: "baked's image changes (v7 → v6)" });
    });

    it("reaches each host through its docker provider and health-checks web containers on its private address, both from the state", () => {
        const fleet = fleetOf(stackStateOf({
            deployment: {
                resources: [
                    { urn: "urn:pulumi:prod::berth::pulumi:pulumi:Stack::berth-prod", type: "pulumi:pulumi:Stack", outputs: { hosts: { web: [{ name: "web-1", address: "203.0.113.11", privateAddress: "10.0.0.11" }], worker: [] } } },
                    { urn: "urn:pulumi:prod::berth::berth:index:Host$pulumi:providers:docker::web-1-docker", type: "pulumi:providers:docker", id: "3b1f", inputs: { host: "ssh://root@203.0.113.11:22", sshOpts: JSON.stringify(["-o", "BatchMode=yes"]) } },
                ],
            },
        }));
        expect(fleet.access.get("web-1")?.sshArguments).toEqual(["-o", "BatchMode=yes", "-p", "22", "root@203.0.113.11"]);
        expect(fleet.privateAddress.get("web-1")).toBe("10.0.0.11");
    });
});
