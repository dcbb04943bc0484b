import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { isStale, StackLockedError, withStackLock } from "../../../cli/lock";

describe("the deploy lock", () => {
    let directory: string;
    beforeEach(async () => {
        directory = await mkdtemp(join(tmpdir(), "berth-lock-"));
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    it("lets one holder in and refuses a second, naming the holder", async () => {
        let release!: () => void;
        const holding = withStackLock(directory, "prod", "deploy", () => new Promise<void>((resolve) => (release = resolve)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const second = withStackLock(directory, "prod", "rollback", async () => "ran");
        await expect(second).rejects.toBeInstanceOf(StackLockedError);
        await expect(second).rejects.toThrow(/stack prod is locked: .* is running `berth deploy` since .* \(pid \d+ on /);
        release();
        await holding;
        await expect(withStackLock(directory, "prod", "rollback", async () => "ran")).resolves.toBe("ran");
    });

    it("waits for the holder when asked to", async () => {
        const order: string[] = [];
        const first = withStackLock(directory, "prod", "deploy", async () => {
            await new Promise((resolve) => setTimeout(resolve, 1500));
            order.push("first");
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await withStackLock(directory, "prod", "deploy", async () => order.push("second"), { waitMs: 10_000 });
        await first;
        expect(order).toEqual(["first", "second"]);
    });

    it("releases the lock when the work fails", async () => {
        await expect(withStackLock(directory, "prod", "deploy", async () => { throw new Error("boom"); })).rejects.toThrow("boom");
        await expect(withStackLock(directory, "prod", "deploy", async () => "again")).resolves.toBe("again");
    });

    it("takes over a lock whose process is gone, never one held elsewhere", async () => {
        const exited = spawnSync("true").pid!;
        await mkdir(join(directory, "locks"));
        const path = join(directory, "locks", "prod.json");
        await writeFile(path, JSON.stringify({ pid: exited, hostname: hostname(), actor: "ci", command: "deploy", since: "2026-01-01T00:00:00Z" }));
        expect(isStale({ pid: exited, hostname: hostname() })).toBe(true);
        await expect(withStackLock(directory, "prod", "deploy", async () => JSON.parse(await readFile(path, "utf8")).pid)).resolves.toBe(process.pid);

        await writeFile(path, JSON.stringify({ pid: exited, hostname: "another-machine", actor: "ci", command: "deploy", since: "2026-01-01T00:00:00Z" }));
        expect(isStale({ pid: exited, hostname: "another-machine" })).toBe(false);
        await expect(withStackLock(directory, "prod", "deploy", async () => "ran")).rejects.toThrow(/ci is running `berth deploy`/);
    });
});
