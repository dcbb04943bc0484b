import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAudit, recordAudit } from "../../../cli/audit";
import { StackLockedError, withStackLock } from "../../../cli/lock";

// Pulumi accepts a stack as `prod`, `org/prod` or `org/project/prod`; berth names its
// lock and audit files after it, so any valid name must give one safe file name, the
// same for every way of naming the same stack.
describe("lock and audit file names", () => {
    let directory: string;
    beforeEach(async () => {
        directory = await mkdtemp(join(tmpdir(), "berth-names-"));
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    it.each(["org/prod", "organization/berth/prod", "acme/berth/prod-eu.1_b"])("locks the stack %s", async (stackName) => {
        await expect(withStackLock(directory, stackName, "deploy", async () => "ran")).resolves.toBe("ran");
    });

    it("is one lock for every way of naming the stack", async () => {
        let release!: () => void;
        const holding = withStackLock(directory, "prod", "deploy", () => new Promise<void>((resolve) => (release = resolve)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        await expect(withStackLock(directory, "organization/prod", "rollback", async () => "ran")).rejects.toBeInstanceOf(StackLockedError);
        await expect(withStackLock(directory, "organization/berth/prod", "rollback", async () => "ran")).rejects.toBeInstanceOf(StackLockedError);
        release();
        await holding;
    });

    it("keeps the audit log of org/prod in the audit directory", async () => {
        const entry = { at: "2026-01-01T00:00:00Z", actor: "ci", stack: "org/prod", command: "deploy", from: {}, to: { sample: { tag: "v2" } }, result: "succeeded" as const };
        await recordAudit(directory, entry);
        // recordAudit adds who ran it, claimed and observed, to a line that does not say.
        expect(await readAudit(directory, "org/prod")).toEqual([{ ...entry, identity: expect.objectContaining({ observed: expect.any(String) }) }]);
        expect(await readdir(join(directory, "audit"), { recursive: true })).toEqual(["prod.jsonl"]);
    });

    it.each(["..", "../..", "../../escape"])("keeps %j, which Pulumi's name rules allow, inside the lock and audit directories", async (stackName) => {
        await withStackLock(directory, stackName, "deploy", async () => "ran");
        await recordAudit(directory, { at: "2026-01-01T00:00:00Z", actor: "ci", stack: stackName, command: "deploy", from: {}, to: {}, result: "succeeded" });
        expect((await readdir(directory)).sort()).toEqual(["audit", "locks"]);
        const stack = stackName.split("/").pop();
        expect(await readdir(join(directory, "locks"))).toEqual([`${stack}.lock`]);
        expect(await readdir(join(directory, "audit"))).toEqual([`${stack}.jsonl`]);
    });

    it.each(["prod/../../x", "a/b/c/d", "", "org/", "/prod", "pro d", "prod\n", "prod\\x", "x".repeat(101)])("refuses %j, which is no stack name, before touching a file", async (stackName) => {
        await expect(withStackLock(directory, stackName, "deploy", async () => "ran")).rejects.toThrow(/is not a valid Pulumi stack name/);
        await expect(readAudit(directory, stackName)).rejects.toThrow(/is not a valid Pulumi stack name/);
        expect(await readdir(directory)).toEqual([]);
    });
});
