import type { Stack } from "@pulumi/pulumi/automation";
import {
    actorIdentity, AuditEntry, AuditRun, auditTagName, auditTagsToPrune, decodeTagRecord, describeActor, encodeTagRecord, HistoryUpdate, mergeAudit, newRunId,
    parseUpdateMessage, renderAudit, runStartedAt, TAG_VALUE_LIMIT, updateMessage,
} from "../../../cli/audit";

const machine = { user: "runner", host: "fv-az123-456" };

describe("actorIdentity", () => {
    it("keeps what the environment claims apart from what the machine observed", () => {
        expect(actorIdentity({ BERTH_ACTOR: "alice", GITHUB_ACTOR: "octocat" }, machine)).toEqual({ claimed: "alice", observed: "runner@fv-az123-456" });
        expect(actorIdentity({ GITHUB_ACTOR: "octocat" }, machine)).toEqual({ claimed: "octocat", observed: "runner@fv-az123-456" });
        expect(actorIdentity({}, machine)).toEqual({ observed: "runner@fv-az123-456" });
        expect(actorIdentity({ BERTH_ACTOR: "" }, machine)).toEqual({ observed: "runner@fv-az123-456" });
    });

    it("adds the GitHub Actions run, whose log GitHub keeps", () => {
        const github = { GITHUB_ACTOR: "octocat", GITHUB_SERVER_URL: "https://github.com/", GITHUB_REPOSITORY: "acme/shop", GITHUB_RUN_ID: "9876543210" };
        expect(actorIdentity(github, machine)).toEqual({ claimed: "octocat", observed: "runner@fv-az123-456", ciRun: "https://github.com/acme/shop/actions/runs/9876543210" });
        expect(actorIdentity({ ...github, GITHUB_RUN_ATTEMPT: "2" }, machine).ciRun).toBe("https://github.com/acme/shop/actions/runs/9876543210/attempts/2");
        expect(actorIdentity({ GITHUB_RUN_ID: "1" }, machine).ciRun).toBeUndefined();
    });

    it("says which part is claimed and which observed", () => {
        expect(describeActor({ claimed: "alice", observed: "root@laptop", ciRun: "https://github.com/acme/shop/actions/runs/1", backendUser: "acme-ci" })).toBe(
            "alice (claimed), root@laptop (observed), https://github.com/acme/shop/actions/runs/1, Pulumi Cloud user acme-ci",
        );
        expect(describeActor({ observed: "root@laptop" })).toBe("root@laptop (observed)");
    });
});

describe("run ids", () => {
    it("sort by when the run started, and give that time back", () => {
        const run = newRunId(new Date("2026-12-02T20:29:13.123Z"), "3fa9c1");
        expect(run).toBe("20261202T202913Z-3fa9c1");
        expect(runStartedAt(run)).toBe("2026-12-02T20:29:13Z");
        expect(runStartedAt("started")).toBeUndefined();
        expect(newRunId(new Date("2026-12-02T20:29:14Z")) > run).toBe(true);
    });

    it("make tag names Pulumi accepts: at most 40 of letters, digits, '-', '_', '.', ':'", () => {
        const name = auditTagName(newRunId());
        expect(name).toMatch(/^berth:audit:\d{8}T\d{6}Z-[0-9a-f]{6}$/);
        expect(name).toMatch(/^[a-zA-Z0-9-_.:]{1,40}$/);
    });
});

describe("encodeTagRecord", () => {
    it("writes the record as JSON that reads back", () => {
        const record = { command: "deploy", claimed: "alice", observed: "root@laptop", changes: "sample v1 → v2", result: "succeeded" as const, end: "2026-12-02T20:31:00Z" };
        expect(decodeTagRecord(encodeTagRecord(record))).toEqual(record);
    });

    it("fits Pulumi Cloud's 256-byte limit, shortening the least needed fields first", () => {
        const record = {
            command: "rollback --to sample=v1.4.2@v1.4.2,api=2026.11.1",
            claimed: "a-very-long-claimed-actor-name-".repeat(3),
            observed: "runner@fv-az123-456",
            ciRun: "https://github.com/acme-corporation/shop-frontend-and-backend/actions/runs/12345678901/attempts/3",
            changes: "sample v1.4.3 → v1.4.2, ref v1.4.3 → v1.4.2; api 2026.11.2 → 2026.11.1",
            result: "rollback failed" as const,
            error: "the health gate of sample-web on web-1 failed: /healthz answered 500 «ünïcödé» \"quoted\"\n".repeat(10),
        };
        const encoded = encodeTagRecord(record);
        expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(TAG_VALUE_LIMIT);
        const decoded = decodeTagRecord(encoded)!;
        expect(decoded).toMatchObject({ command: record.command, observed: record.observed, result: "rollback failed" });
        expect(decoded.error).toMatch(/^the health gate of sample-web|^…$/);
        expect(decoded.error!.endsWith("…")).toBe(true);
    });

    it("leaves a record that fits as it is", () => {
        const record = { command: "deploy", observed: "x".repeat(200) };
        expect(encodeTagRecord(record)).toBe(JSON.stringify(record));
    });

    it("reads nothing but a record berth wrote", () => {
        expect(decodeTagRecord("not json")).toBeUndefined();
        expect(decodeTagRecord('{"command":1}')).toBeUndefined();
    });
});

describe("update messages", () => {
    const marker = {
        run: "20261202T202913Z-3fa9c1",
        phase: "rollout" as const,
        command: "deploy",
        identity: { claimed: "alice", observed: "root@laptop" },
        from: { sample: { tag: "v1" } },
        to: { sample: { tag: "v2" } },
    };

    it("say who and what on the first line, and carry berth's record on the second", () => {
        const message = updateMessage(marker);
        expect(message.split("\n")[0]).toBe("berth deploy by alice (claimed; observed root@laptop): sample v1 → v2");
        expect(parseUpdateMessage(message)).toEqual(marker);
        expect(updateMessage({ ...marker, identity: { observed: "root@laptop" }, phase: "restore", from: marker.to, to: marker.from }).split("\n")[0]).toBe(
            "berth deploy by root@laptop (observed): restore after a failed rollout: sample v2 → v1",
        );
    });

    it("are not berth's when they lack the record", () => {
        expect(parseUpdateMessage("berth deploy by alice: sample v1 → v2")).toBeUndefined();
        expect(parseUpdateMessage("berth-audit: {oops")).toBeUndefined();
        expect(parseUpdateMessage(undefined)).toBeUndefined();
    });
});

describe("auditTagsToPrune", () => {
    it("keeps the newest runs' tags and never touches other tags", () => {
        const names = ["pulumi:project", "berth:audit:20260103T000000Z-aaaaaa", "berth:audit:20260101T000000Z-aaaaaa", "berth:audit:20260102T000000Z-aaaaaa", "team"];
        expect(auditTagsToPrune(names, 2)).toEqual(["berth:audit:20260101T000000Z-aaaaaa"]);
        expect(auditTagsToPrune(names, 25)).toEqual([]);
    });
});

describe("mergeAudit", () => {
    const identity = { claimed: "alice", observed: "root@laptop" };
    const run = "20260105T100000Z-0a0a0a";
    const started: AuditEntry = { at: "2026-01-05T10:00:00.500Z", actor: "alice", identity, run, stack: "prod", command: "deploy", from: { sample: { tag: "v1" } }, to: { sample: { tag: "v2" } }, result: "started" };
    const finished: AuditEntry = { ...started, at: "2026-01-05T10:03:00.000Z", result: "succeeded" };
    const rollout: HistoryUpdate = {
        version: 7, kind: "update", result: "succeeded", startTime: new Date("2026-01-05T10:00:02Z"),
        message: updateMessage({ run, phase: "rollout", command: "deploy", identity, from: started.from, to: started.to }),
    };

    it("merges a run's lines, tag and updates into one record", () => {
        const tags = { [auditTagName(run)]: encodeTagRecord({ command: "deploy", ...identity, changes: "sample v1 → v2", result: "succeeded" }), team: "web" };
        expect(mergeAudit([started, finished], tags, [rollout])).toEqual([{
            run, at: started.at, command: "deploy", actor: "alice", identity, from: started.from, to: started.to, result: "succeeded",
            updates: [{ version: 7, kind: "update", result: "succeeded", phase: "rollout", startTime: "2026-01-05T10:00:02.000Z" }],
            sources: ["log", "history", "tags"],
        }]);
    });

    it("shows a run that started and never finished as such, and reads a run known only from the history", () => {
        const killed = "20260106T090000Z-0b0b0b";
        const tags = { [auditTagName(killed)]: encodeTagRecord({ command: "rollback --to sample=v1", observed: "root@ci-7", changes: "sample v2 → v1" }) };
        const records = mergeAudit([], tags, [rollout]);
        expect(records.map((record) => [record.run, record.result, record.resultFromHistory ?? false])).toEqual([[run, "succeeded", true], [killed, undefined, false]]);
        expect(renderAudit(records).split("\n")).toEqual([
            "2026-01-05T10:00:00Z  deploy  succeeded (from Pulumi's history)  sample v1 → v2  by alice (claimed), root@laptop (observed)",
            "    pulumi: rollout (update 7) succeeded",
            "2026-01-06T09:00:00Z  rollback --to sample=v1  started, no result (interrupted, or still running)  sample v2 → v1  by root@ci-7 (observed)",
        ]);
    });

    it("keeps lines of older berths, and lists updates made without berth", () => {
        const older: AuditEntry = { at: "2026-01-01T00:00:00Z", actor: "bob", stack: "prod", command: "deploy", from: {}, to: { sample: { tag: "v1" } }, result: "succeeded", updateVersion: 3 };
        const plain: HistoryUpdate = { version: 4, kind: "refresh", result: "failed", startTime: "2026-01-02T00:00:00Z", message: "" };
        const olderUpdate: HistoryUpdate = { version: 3, kind: "update", result: "succeeded", startTime: "2026-01-01T00:00:01Z", message: "berth deploy by bob: sample (new) → v1" };
        const records = mergeAudit([older], {}, [plain, olderUpdate]);
        expect(records.map((record) => `${record.command} ${record.result} ${record.updates.map((update) => update.version).join(",")}`)).toEqual(["deploy succeeded 3", "pulumi refresh failed 4"]);
        expect(renderAudit(records).split("\n")).toEqual([
            "2026-01-01T00:00:00Z  deploy  succeeded  sample (new) → v1  by bob",
            "2026-01-02T00:00:00Z  pulumi refresh  failed",
        ]);
    });

    it("puts what a run's recovery removed into that run", () => {
        const removal: AuditEntry = { at: "2026-01-05T10:00:01Z", actor: "alice", stack: "prod", command: "deploy", from: {}, to: {}, result: "recovered", removed: ["container sample-web (0123456789ab) on web-1: its create was interrupted"] };
        const records = mergeAudit([started, removal, finished], {}, []);
        expect(records).toHaveLength(1);
        expect(records[0].removed).toEqual(removal.removed);
        const elsewhere = { ...removal, at: "2026-01-05T11:00:00Z", command: "recover" };
        expect(mergeAudit([started, finished, elsewhere], {}, []).map((record) => record.command)).toEqual(["deploy", "recover"]);
    });

    it("says when nothing was recorded", () => {
        expect(renderAudit([])).toBe("no deploys recorded");
    });
});

describe("AuditRun.start", () => {
    /** Just enough of a stack for the start of a run: a file:// backend, and tags as given. */
    function stackWithTags(tags: { setTag: (name: string, value: string) => Promise<void>; getTag: (name: string) => Promise<string> }): Stack {
        return { name: "prod", workspace: { envVars: { PULUMI_BACKEND_URL: "file:///nonexistent/berth-state" }, workDir: "/nonexistent" }, ...tags } as unknown as Stack;
    }

    it("refuses to go on when the started record cannot be written with the state", async () => {
        const stack = stackWithTags({ setTag: async () => Promise.reject(new Error("403 Forbidden")), getTag: async () => "" });
        await expect(AuditRun.start(stack, { command: "deploy", from: {}, to: {} })).rejects.toThrow(
            "could not record the start of `berth deploy` in the tags of stack prod, so berth changed nothing: 403 Forbidden",
        );
    });

    it("refuses to go on when the backend took the tag and kept nothing (a Pulumi CLI without diy tags)", async () => {
        const stack = stackWithTags({ setTag: async () => undefined, getTag: async () => "" });
        await expect(AuditRun.start(stack, { command: "deploy", from: {}, to: {} })).rejects.toThrow(/did not keep berth's record .* so berth changed nothing/);
    });
});
