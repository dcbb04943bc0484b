import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
        const lockDirectory = join(directory, "locks", "prod.lock");
        await mkdir(lockDirectory, { recursive: true });
        await writeFile(join(lockDirectory, "1.json"), JSON.stringify({ pid: exited, hostname: hostname(), actor: "ci", command: "deploy", since: "2026-01-01T00:00:00Z", generation: 1 }));
        expect(isStale({ pid: exited, hostname: hostname() })).toBe(true);
        const holder = () => readFile(join(lockDirectory, "2.json"), "utf8").then((text) => JSON.parse(text));
        await expect(withStackLock(directory, "prod", "deploy", holder)).resolves.toMatchObject({ pid: process.pid, generation: 2 });
        expect((await readdir(lockDirectory)).sort()).toEqual(["2.json", "2.released"]);

        await writeFile(join(lockDirectory, "3.json"), JSON.stringify({ pid: exited, hostname: "another-machine", actor: "ci", command: "deploy", since: "2026-01-01T00:00:00Z", generation: 3 }));
        expect(isStale({ pid: exited, hostname: "another-machine" })).toBe(false);
        await expect(withStackLock(directory, "prod", "deploy", async () => "ran")).rejects.toThrow(
            /ci is running `berth deploy` .* on another-machine\)\. Wait for it, or pass --wait\. If that process is gone for good, remove \S*prod\.lock\/3\.json\./,
        );
    });

    it("respects a live lock of an older berth (locks/<stack>.json) and ignores a stale one", async () => {
        const exited = spawnSync("true").pid!;
        await mkdir(join(directory, "locks"));
        const older = join(directory, "locks", "prod.json");
        await writeFile(older, JSON.stringify({ pid: 4242, hostname: "another-machine", actor: "alice", command: "deploy", since: "2026-01-01T00:00:00Z" }));
        await expect(withStackLock(directory, "prod", "deploy", async () => "ran")).rejects.toThrow(/alice is running `berth deploy`/);
        await writeFile(older, JSON.stringify({ pid: exited, hostname: hostname(), actor: "alice", command: "deploy", since: "2026-01-01T00:00:00Z" }));
        await expect(withStackLock(directory, "prod", "deploy", async () => "ran")).resolves.toBe("ran");
    });

    it("names an unreadable lock file instead of guessing who holds it", async () => {
        await mkdir(join(directory, "locks", "prod.lock"), { recursive: true });
        await writeFile(join(directory, "locks", "prod.lock", "7.json"), "{ not json");
        await expect(withStackLock(directory, "prod", "deploy", async () => "ran")).rejects.toThrow(/stack prod is locked by .*prod\.lock\/7\.json, which berth cannot read/);
    });
});
