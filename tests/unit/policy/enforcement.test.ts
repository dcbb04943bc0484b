import * as grpc from "@grpc/grpc-js";
import { AnalyzerStackConfigureRequest, ConfigureAnalyzerRequest, EnforcementLevel, PolicyConfig } from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { guardAnalyzerService, loweredPolicies, serveGuarded } from "../../../policy/enforcement";

/**
 * A production stack cannot lower berth's pack: whatever policy config the
 * engine is given (`policy/<stack>.json`, `--policy-pack-config`), a stack
 * whose `berth:production` is true runs every policy mandatory, and a config
 * that says otherwise stops the preview or update with the reason.
 */

function stackRequest(config: Record<string, string>): AnalyzerStackConfigureRequest {
    const request = new AnalyzerStackConfigureRequest();
    request.setStack("prod");
    request.setProject("berth");
    for (const [key, value] of Object.entries(config)) {
        request.getConfigMap().set(key, value);
    }
    return request;
}

function policyRequest(levels: Record<string, EnforcementLevel>): ConfigureAnalyzerRequest {
    const request = new ConfigureAnalyzerRequest();
    for (const [name, level] of Object.entries(levels)) {
        const config = new PolicyConfig();
        config.setEnforcementlevel(level);
        request.getPolicyconfigMap().set(name, config);
    }
    return request;
}

/** The SDK's handlers, recording which were reached. */
function sdkHandlers(reached: string[]): Record<string, grpc.UntypedHandleCall> {
    const handler = (name: string) => ((_call: unknown, callback: (error: Error | null, value?: unknown) => void) => { reached.push(name); callback(null, {}); }) as unknown as grpc.UntypedHandleCall;
    return Object.fromEntries(["analyze", "analyzeStack", "remediate", "getAnalyzerInfo", "getPluginInfo", "configure", "configureStack"].map((name) => [name, handler(name)]));
}

function call(handlers: Record<string, grpc.UntypedHandleCall>, name: string, request: unknown): Error | null {
    let result: Error | null = null;
    (handlers[name] as unknown as (call: { request: unknown }, callback: (error: Error | null) => void) => void)({ request }, (error) => { result = error; });
    return result;
}

const LOWERED = "berth:production is true: the policy config makes log-rotation disabled and no-world-ssh advisory, but a production stack runs every berth policy mandatory; remove those entries (policy/<stack>.json or --policy-pack-config)";

describe("the pack refuses to be lowered for a production stack", () => {
    it("fails the engine's Configure call when the stack is production", () => {
        const reached: string[] = [];
        const guarded = guardAnalyzerService(sdkHandlers(reached));
        expect(call(guarded, "configureStack", stackRequest({ "berth:production": "true", "berth:sshKeyPath": "~/.ssh/berth_deploy" }))).toBeNull();
        const error = call(guarded, "configure", policyRequest({ "no-world-ssh": EnforcementLevel.ADVISORY, "log-rotation": EnforcementLevel.DISABLED, "no-latest-tag": EnforcementLevel.MANDATORY }));
        expect(error?.message).toBe(LOWERED);
        // The SDK never sees the lowered levels, and nothing is analyzed under them.
        expect(reached).toEqual(["configureStack"]);
        expect(call(guarded, "analyze", {})?.message).toBe(LOWERED);
        expect(call(guarded, "analyzeStack", {})?.message).toBe(LOWERED);
        expect(reached).toEqual(["configureStack"]);
    });

    it("fails whichever comes second, when Configure comes before ConfigureStack", () => {
        const reached: string[] = [];
        const guarded = guardAnalyzerService(sdkHandlers(reached));
        expect(call(guarded, "configure", policyRequest({ all: EnforcementLevel.DISABLED, "no-world-ssh": EnforcementLevel.DISABLED }))).toBeNull();
        expect(call(guarded, "configureStack", stackRequest({ "berth:production": "true" }))?.message).toMatch(/^berth:production is true: the policy config makes all disabled, but/);
        expect(call(guarded, "analyze", {})?.message).toMatch(/^berth:production is true/);
    });

    it("lets a stack that is not production lower its policies (the lab's policy/local.json)", () => {
        const reached: string[] = [];
        const guarded = guardAnalyzerService(sdkHandlers(reached));
        expect(call(guarded, "configureStack", stackRequest({ "berth:production": "false" }))).toBeNull();
        expect(call(guarded, "configure", policyRequest({ all: EnforcementLevel.ADVISORY }))).toBeNull();
        expect(call(guarded, "analyze", {})).toBeNull();
        expect(reached).toEqual(["configureStack", "configure", "analyze"]);
    });

    it("lets a production stack confirm mandatory (and remediate) levels", () => {
        const reached: string[] = [];
        const guarded = guardAnalyzerService(sdkHandlers(reached));
        call(guarded, "configureStack", stackRequest({ "berth:production": "true" }));
        expect(call(guarded, "configure", policyRequest({ all: EnforcementLevel.MANDATORY, "log-rotation": EnforcementLevel.REMEDIATE }))).toBeNull();
        expect(call(guarded, "analyze", {})).toBeNull();
    });

    it("names what lowers", () => {
        expect(loweredPolicies({ a: "advisory", b: "mandatory", c: "disabled", d: "remediate" })).toEqual(["a advisory", "c disabled"]);
        // The engine expands `all` into each policy: named once, with what differs from it.
        expect(loweredPolicies({ all: "advisory", a: "advisory", b: "disabled", c: "mandatory" })).toEqual(["all advisory", "b disabled"]);
    });

    it("wraps the analyzer service the policy SDK registers, and only while the pack starts", () => {
        const registered: Record<string, grpc.UntypedHandleCall>[] = [];
        const original = grpc.Server.prototype.addService;
        grpc.Server.prototype.addService = function (_service, implementation) { registered.push(implementation); };
        try {
            const reached: string[] = [];
            serveGuarded(() => new grpc.Server().addService(AnalyzerService, sdkHandlers(reached)));
            expect(registered).toHaveLength(1);
            call(registered[0], "configureStack", stackRequest({ "berth:production": "true" }));
            expect(call(registered[0], "configure", policyRequest({ all: EnforcementLevel.ADVISORY }))?.message).toMatch(/^berth:production is true/);
            // Outside the pack's start, gRPC is left as it was.
            new grpc.Server().addService(AnalyzerService, sdkHandlers([]));
            expect(call(registered[1], "configure", policyRequest({ all: EnforcementLevel.ADVISORY }))).toBeNull();
            expect(() => serveGuarded(() => undefined)).toThrow(/could not guard/);
        } finally {
            grpc.Server.prototype.addService = original;
        }
    });
});
