/**
 * A production stack cannot lower berth's pack. The policy SDK applies a
 * policy config (`policy/<stack>.json`, `--policy-pack-config`) before any
 * policy runs, and skips a disabled policy altogether, so no policy can hold
 * itself up. The guard sits in front of the SDK's analyzer service instead:
 * the engine tells the pack the stack's config (ConfigureStack, whose
 * `berth:production` the SDK ignores) and the policy config (Configure);
 * when the stack is production and the config makes a policy advisory or
 * disabled, the call fails with the reason, and so does every analysis
 * after it, so the preview or update stops before anything changes.
 */
import * as grpc from "@grpc/grpc-js";
import { AnalyzerStackConfigureRequest, ConfigureAnalyzerRequest, EnforcementLevel as WireLevel } from "@pulumi/pulumi/proto/analyzer_pb";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

const LEVELS: Record<WireLevel, EnforcementLevel> = {
    [WireLevel.ADVISORY]: "advisory",
    [WireLevel.MANDATORY]: "mandatory",
    [WireLevel.DISABLED]: "disabled",
    [WireLevel.REMEDIATE]: "remediate",
};
/** Below mandatory: a violation no longer stops the update. (`remediate` still does, for berth's validate-only policies.) */
const LOWERING: EnforcementLevel[] = ["advisory", "disabled"];

/**
 * The config entries that lower a policy, sorted: `"no-world-ssh advisory"`.
 * The engine expands `all` into every policy; those are named once, as `all`.
 */
export function loweredPolicies(levels: Record<string, EnforcementLevel>): string[] {
    const all = LOWERING.includes(levels.all) ? levels.all : undefined;
    return Object.keys(levels).sort()
        .filter((name) => LOWERING.includes(levels[name]) && (name === "all" || levels[name] !== all))
        .map((name) => `${name} ${levels[name]}`);
}

function listed(items: string[]): string {
    return items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** What the guard knows, from the engine's two configure calls (in either order). */
interface GuardState {
    production: boolean;
    lowered: string[];
}

function refusal(state: GuardState): string | undefined {
    if (!state.production || state.lowered.length === 0) {
        return undefined;
    }
    return `berth:production is true: the policy config makes ${listed(state.lowered)}, but a production stack runs every berth policy mandatory; ` +
        "remove those entries (policy/<stack>.json or --policy-pack-config)";
}

type Handler = (this: unknown, call: { request: unknown }, callback: (error: grpc.ServiceError | null, value?: unknown) => void) => unknown;

/** The handlers the guard reads or holds up; the SDK must register each of them. */
const OBSERVED = ["configureStack", "configure"] as const;
const HELD = ["analyze", "analyzeStack", "remediate"] as const;

/**
 * The SDK's analyzer service implementation, with the guard in front of it:
 * ConfigureStack records whether the stack is production (the config the
 * engine sends: `berth:production` is `"true"`), Configure records what the
 * policy config lowers, and these and every analysis fail while both hold.
 */
export function guardAnalyzerService(implementation: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const state: GuardState = { production: false, lowered: [] };
    const observers: Record<string, (request: unknown) => void> = {
        configureStack: (request) => {
            state.production = (request as AnalyzerStackConfigureRequest).getConfigMap().get("berth:production") === "true";
        },
        configure: (request) => {
            const levels: Record<string, EnforcementLevel> = {};
            (request as ConfigureAnalyzerRequest).getPolicyconfigMap().forEach((config, name) => {
                levels[name] = LEVELS[config.getEnforcementlevel()];
            });
            state.lowered = loweredPolicies(levels);
        },
    };
    const guarded: grpc.UntypedServiceImplementation = { ...implementation };
    for (const name of [...OBSERVED, ...HELD]) {
        const handler = implementation[name] as unknown as Handler | undefined;
        if (typeof handler !== "function") {
            throw new Error(`berth's policy pack could not guard its enforcement levels: the policy SDK registers no ${name} handler (@pulumi/policy changed how it serves)`);
        }
        const observe = observers[name];
        guarded[name] = function (this: unknown, call: { request: unknown }, callback: (error: grpc.ServiceError | null, value?: unknown) => void) {
            observe?.(call.request);
            const refused = refusal(state);
            if (refused) {
                callback(Object.assign(new Error(refused), { code: grpc.status.FAILED_PRECONDITION, details: refused, metadata: new grpc.Metadata() }));
                return;
            }
            return handler.call(this, call, callback);
        } as unknown as grpc.UntypedHandleCall;
    }
    return guarded;
}

/**
 * Runs `start` (the `new PolicyPack(...)` that serves the pack) with every
 * gRPC service it registers guarded, then puts gRPC back as it was. Fails
 * closed: a pack that registered no service to guard does not start.
 */
export function serveGuarded(start: () => void): void {
    const prototype = grpc.Server.prototype;
    const addService = prototype.addService;
    let guardedServices = 0;
    prototype.addService = function (this: grpc.Server, service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
        const guarded = guardAnalyzerService(implementation);
        guardedServices += 1;
        return addService.call(this, service, guarded);
    };
    try {
        start();
    } finally {
        prototype.addService = addService;
    }
    if (guardedServices === 0) {
        throw new Error("berth's policy pack could not guard its enforcement levels: the policy SDK started no analyzer service (@pulumi/policy changed how it serves)");
    }
}
