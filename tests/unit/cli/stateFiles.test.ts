import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { isTornCheckpointRead } from "../../../cli/deploy";
import { removeTruncatedStateMetadata } from "../../../cli/stateFiles";
import { temporaryDirectory } from "../../support/files";

function fileBackendStack(directory: string, name: string): Stack {
    return { name, workspace: { envVars: { PULUMI_BACKEND_URL: `file://${directory}` }, workDir: directory } } as unknown as Stack;
}

describe("state files an interrupted write left unreadable", () => {
    const backend = temporaryDirectory("state-files");

    it("removes the stack's empty metadata sidecars, and nothing else", async () => {
        const stacks = join(backend, ".pulumi", "stacks", "berth");
        mkdirSync(stacks, { recursive: true });
        const write = (name: string, content: string) => writeFileSync(join(stacks, name), content);
        write("local.json", "{}");
        write("local.json.attrs", "");
        write("local.json.bak", "{}");
        write("local.json.bak.attrs", '{"user.cache_control":""}');
        write("prod.json.attrs", "");
        const lines: string[] = [];
        expect(await removeTruncatedStateMetadata(fileBackendStack(backend, "local"), (line) => lines.push(line))).toEqual([join(stacks, "local.json.attrs")]);
        expect(lines).toEqual([`removed ${join(stacks, "local.json.attrs")}: an interrupted state write left it empty, which made the stack unreadable`]);
        expect(["local.json", "local.json.bak", "local.json.bak.attrs", "prod.json.attrs"].map((name) => existsSync(join(stacks, name)))).toEqual([true, true, true, true]);
    });

    it("does nothing on a backend that is not a directory", async () => {
        const stack = { name: "prod", workspace: { envVars: { PULUMI_BACKEND_URL: "s3://bucket" }, workDir: "/nonexistent" } } as unknown as Stack;
        expect(await removeTruncatedStateMetadata(stack)).toEqual([]);
    });
});

describe("a read of the stack's own state that met a checkpoint write", () => {
    it("is told apart from a failure on a host, which is never run again", () => {
        expect(isTornCheckpointRead("berth-history: failed to load checkpoint: EOF\nsample: failed to run remediation: context canceled")).toBe(true);
        expect(isTornCheckpointRead("sample-web-web-1: the container did not turn healthy within 20s")).toBe(false);
        expect(isTornCheckpointRead("sample-release: failed to load checkpoint: EOF")).toBe(false);
    });
});
