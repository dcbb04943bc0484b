// `berth maintenance on|off APP [--message TEXT]`: nginx answers the app's
// requests with a maintenance page, 503 and Retry-After (its health path and
// the ACME challenge path still pass), until switched off; deploys keep it.
import { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import { containerNames } from "../components/naming";
import { DEFAULT_MAINTENANCE_MESSAGE, setMaintenance } from "../components/shell/maintenance";
import { actorIdentity, newRunId, recordAudit } from "./audit";
import { withStackLock } from "./lock";
import { berthConfig } from "./releases";
import { runOnHost } from "./remote";
import { berthStateDirectory } from "./stateDirectory";
import { hostAccessByName, readStackState } from "./stackState";

/** Pure: the checked request, or an error saying what is allowed. */
export function checkMaintenanceRequest(appNames: string[], mode: string | undefined, app: string | undefined, message: string | undefined): { on: boolean; app: string; message: string } {
    if (mode !== "on" && mode !== "off") {
        throw new Error(`maintenance takes on or off, then the app: berth maintenance on|off APP [--message TEXT] (got ${JSON.stringify(mode ?? "")})`);
    }
    if (!app || !appNames.includes(app)) {
        throw new Error(`no app ${JSON.stringify(app ?? "")} in berth:apps (known: ${appNames.join(", ")})`);
    }
    if (message !== undefined && (message.length > 500 || /[\0\r\n]/.test(message))) {
        throw new Error("--message must be one line of at most 500 characters");
    }
    return { on: mode === "on", app, message: message ?? DEFAULT_MAINTENANCE_MESSAGE };
}

export async function switchMaintenance(stack: Stack, mode: string | undefined, appName: string | undefined, message: string | undefined): Promise<string> {
    const [config, state] = await Promise.all([berthConfig(stack), readStackState(stack)]);
    const spec = validateConfig(config);
    const request = checkMaintenanceRequest(spec.apps.map((app) => app.name), mode, appName, message);
    const access = hostAccessByName(state).get(spec.loadBalancer.host);
    if (!access) {
        throw new Error(`the load balancer ${spec.loadBalancer.host} is not deployed in this stack yet: run berth deploy first`);
    }
    // Under the deploy lock: a deploy running now is not surprised by a reload it did not make.
    return withStackLock(berthStateDirectory(stack), stack.name, `maintenance ${mode}`, async () => {
        const identity = actorIdentity();
        const entry = {
            actor: identity.claimed ?? identity.observed, identity, run: newRunId(), stack: stack.name,
            command: `maintenance ${mode} ${request.app}${request.on ? `: ${request.message}` : ""}`, from: {}, to: {},
        };
        try {
            await runOnHost(access, setMaintenance(request.app, request.on, request.message, containerNames.nginx));
        } catch (error) {
            await recordAudit(berthStateDirectory(stack), { ...entry, at: new Date().toISOString(), result: "failed", error: (error as Error).message });
            throw error;
        }
        await recordAudit(berthStateDirectory(stack), { ...entry, at: new Date().toISOString(), result: "succeeded" });
        return request.on
            ? `${request.app} is in maintenance: nginx answers 503 with Retry-After (its health path and ACME challenges still pass); berth maintenance off ${request.app} ends it`
            : `${request.app} is out of maintenance`;
    });
}
