import { describeRepairs, planRepairs, repairUrns } from "../../../cli/repair";
import { StackState } from "../../../cli/stackState";
import { StatusReport } from "../../../cli/status";

const STACK_URN = "urn:pulumi:prod::berth::berth:index:App$";
// A blue-green web host (web-1) and a drain-first one (web-2).
const names = [
    "sample-web-port-web-1", "sample-web-clear-web-1", "sample-web-web-1", "sample-healthy-web-1", "sample-undrain-web-1", "sample-web-retire-web-1", "sample-code-web-1",
    "sample-web-port-web-2", "sample-drain-web-2", "sample-web-stop-web-2", "sample-web-web-2", "sample-healthy-web-2", "sample-undrain-web-2", "sample-code-web-2",
    "sample-code-worker-1", "sample-worker-worker-1", "sample-worker-retire-worker-1", "sample-worker-restart-worker-1",
    "sample-beat-adopt-worker-1", "sample-beat-worker-1", "sample-beat-restart-worker-1", "nginx-config",
];
const state: StackState = { resources: names.map((name) => ({ urn: `${STACK_URN}command:remote:Command::${name}`, type: "command:remote:Command" })), pendingOperations: [] };

function report(overrides: Partial<StatusReport>): StatusReport {
    return { stack: "prod", containers: [], code: [], drift: [], unchecked: [], ...overrides };
}

function container(host: string, role: string, drift: string[], app = "sample") {
    return { host, app, role, name: `${app}-${role}`, image: "registry.example.com/sample:v2", state: "Up", drift, unchecked: [] };
}

describe("berth deploy's repairs of drift", () => {
    it("repairs nothing on hosts that match the stack", () => {
        expect(planRepairs(report({ containers: [container("web-1", "web", [])] }), state)).toEqual([]);
    });

    it("replaces a web container started by hand under the rollout's discipline: new port, make way, replace, health, undrain, retire", () => {
        const repairs = planRepairs(report({ containers: [container("web-1", "web", ["replaced outside berth (container abc, the stack has def)"])] }), state);
        expect(repairs).toEqual([{
            target: "sample web@web-1",
            reasons: ["replaced outside berth (container abc, the stack has def)"],
            resources: ["sample-web-port-web-1", "sample-web-clear-web-1", "sample-web-web-1", "sample-healthy-web-1", "sample-undrain-web-1", "sample-web-retire-web-1"],
        }]);
        expect(repairUrns(repairs, state)).toHaveLength(6);
        expect(repairUrns(repairs, state)[0]).toBe(`${STACK_URN}command:remote:Command::sample-web-port-web-1`);
        // drain-first: drained and stopped before the new one starts.
        expect(planRepairs(report({ containers: [container("web-2", "web", ["missing on the host"])] }), state)[0].resources).toEqual([
            "sample-web-port-web-2", "sample-drain-web-2", "sample-web-stop-web-2", "sample-web-web-2", "sample-healthy-web-2", "sample-undrain-web-2",
        ]);
    });

    it("replaces a missing worker and beat without touching the web hosts", () => {
        const repairs = planRepairs(report({ containers: [container("worker-1", "worker", ["missing on the host"]), container("worker-1", "beat", ["runs x:1, the stack has y:2"])] }), state);
        expect(repairs.map((repair) => repair.resources)).toEqual([
            ["sample-worker-worker-1", "sample-worker-retire-worker-1"],
            ["sample-beat-adopt-worker-1", "sample-beat-worker-1"],
        ]);
    });

    it("starts an accessory's container again on its volume when it is gone or was replaced by hand", () => {
        const withAccessory: StackState = { ...state, resources: [...state.resources, { urn: `${STACK_URN}docker:index/container:Container::db-container`, type: "docker:index/container:Container" }] };
        const gone = { host: "data-1", app: "", role: "", name: "accessory_db", image: "postgres:15.8", state: "missing", drift: ["missing on the host"], unchecked: [] };
        expect(planRepairs(report({ containers: [gone] }), withAccessory)).toEqual([{ target: "db accessory@data-1", reasons: ["missing on the host"], resources: ["db-container"] }]);
        expect(planRepairs(report({ containers: [{ ...gone, drift: [] }] }), withAccessory)).toEqual([]);
    });

    it("switches a code link moved by hand back, with the reload, health check and restarts of that host", () => {
        const repairs = planRepairs(report({ code: [
            { host: "web-2", app: "sample", codeRef: "v1.0.0", drift: ["code is v1.0.0, the stack has v1.1.0"] },
            { host: "worker-1", app: "sample", codeRef: "v1.0.0", drift: ["code is v1.0.0, the stack has v1.1.0"] },
        ] }), state);
        expect(repairs.map((repair) => repair.resources)).toEqual([
            ["sample-code-web-2", "sample-healthy-web-2"],
            ["sample-code-worker-1", "sample-worker-restart-worker-1", "sample-beat-restart-worker-1"],
        ]);
    });

    it("puts nginx's config back when a server was left drained or the file was edited", () => {
        const repairs = planRepairs(report({ nginx: { host: "lb-1", drained: ["sample@web-1"], drift: ["sample@web-1 is drained: it gets no requests"] } }), state);
        expect(describeRepairs(repairs)).toEqual(["nginx@lb-1: sample@web-1 is drained: it gets no requests → replace nginx-config"]);
    });

    it("leaves a drained server whose web container is replaced to that replacement's undrain", () => {
        const repairs = planRepairs(report({
            containers: [container("web-1", "web", ["missing on the host"])],
            nginx: { host: "lb-1", drained: ["sample@web-1"], drift: ["sample@web-1 is drained: it gets no requests"] },
        }), state);
        expect(describeRepairs(repairs)).toEqual([
            "sample web@web-1: missing on the host; drained in nginx (undrained once healthy) → replace sample-web-port-web-1, sample-web-clear-web-1, sample-web-web-1, sample-healthy-web-1, sample-undrain-web-1, sample-web-retire-web-1",
        ]);
    });

    it("drains a host again whose last rollout stopped after its drain, even when it serves again", () => {
        const at = (name: string, created: string) => ({ urn: `${STACK_URN}command:remote:Command::${name}`, type: "command:remote:Command", created });
        const stopped: StackState = {
            resources: [
                ...state.resources.filter((resource) => !/-(drain|undrain)-web-[12]$/.test(resource.urn)),
                // The killed run's new drain, and the one it replaced (still in the state, to be deleted).
                at("sample-drain-web-1", "2026-12-03T00:15:50Z"), { ...at("sample-drain-web-1", "2026-12-02T20:54:22Z"), delete: true },
                at("sample-undrain-web-1", "2026-12-02T20:54:26Z"),
                at("sample-drain-web-2", "2026-12-02T20:54:27Z"), at("sample-undrain-web-2", "2026-12-02T20:54:31Z"),
            ],
            pendingOperations: [],
        };
        expect(describeRepairs(planRepairs(report({}), stopped))).toEqual([
            "sample web@web-1: its last rollout stopped between drain and undrain: drained again before its container is replaced → replace sample-drain-web-1, sample-healthy-web-1, sample-undrain-web-1",
        ]);
        // Still drained in nginx: the same repair undrains it, nginx's config is left alone.
        const drained = planRepairs(report({ nginx: { host: "lb-1", drained: ["sample@web-1"], drift: ["sample@web-1 is drained: it gets no requests"] } }), stopped);
        expect(drained.map((repair) => repair.target)).toEqual(["sample web@web-1"]);
    });

    it("leaves alone a berth-labelled container the stack does not know (it may be another stack's)", () => {
        expect(planRepairs(report({ containers: [container("web-1", "web", ["not in the stack (started by hand?)"], "other")] }), state)).toEqual([]);
    });
});
