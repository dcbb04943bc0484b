import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { setReleases } from "../../../cli/releases";
import { temporaryDirectory } from "../../support/files";

// setReleases writes the releases of a rollback or restore into a real stack's
// config file (the Pulumi CLI's `config set`), in the form the file has.

const root = temporaryDirectory("set-releases");
const envVars = {
    PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "set-releases-test",
    PULUMI_SKIP_UPDATE_CHECK: "1",
};
const apps = [
    { name: "sample", image: { repository: "r/sample", tag: "v2" }, code: { repository: "https://git.example/s.git", ref: "v1.1.0" }, env: { A: "1" } },
    { name: "two", image: { repository: "r/two", tag: "v9" } },
];

async function stackWith(name: string, store: (stack: Stack) => Promise<void>): Promise<Stack> {
    const workDir = join(root, name);
    mkdirSync(workDir, { recursive: true });
    mkdirSync(join(root, "state"), { recursive: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "prod", projectName: "berth-set-releases", program: async () => ({}) },
        { workDir, envVars, projectSettings: { name: "berth-set-releases", runtime: "nodejs", backend: { url: envVars.PULUMI_BACKEND_URL } } },
    );
    await store(stack);
    return stack;
}

async function storedApps(stack: Stack): Promise<unknown> {
    return JSON.parse((await stack.getConfig("berth:apps")).value);
}

describe("writing releases into the stack's config", () => {
    it("sets the tag and ref by path in a YAML list, leaving the rest of the file alone", async () => {
        const stack = await stackWith("yaml", async (created) => {
            await created.setConfig("berth:apps[0].name", { value: "sample" }, true);
            await created.setConfig("berth:apps[0].image.tag", { value: "v2" }, true);
            await created.setConfig("berth:apps[0].code.ref", { value: "v1.1.0" }, true);
            await created.setConfig("berth:apps[1].name", { value: "two" }, true);
            await created.setConfig("berth:apps[1].image.tag", { value: "v9" }, true);
        });
        await setReleases(stack, { sample: { tag: "v1", codeRef: "v1.0.0" } });
        expect(await storedApps(stack)).toEqual([{ name: "sample", image: { tag: "v1" }, code: { ref: "v1.0.0" } }, { name: "two", image: { tag: "v9" } }]);
        expect(readFileSync(join(root, "yaml", "Pulumi.prod.yaml"), "utf8")).toContain("    - name: sample\n");
    }, 60_000);

    it("writes a berth:apps kept as one JSON string back whole, which a path write would have replaced", async () => {
        const stack = await stackWith("json", (created) => created.setConfig("berth:apps", { value: JSON.stringify(apps) }));
        await setReleases(stack, { sample: { tag: "v1", codeRef: "v1.0.0" }, two: { tag: "v8" } });
        expect(await storedApps(stack)).toEqual([
            { ...apps[0], image: { repository: "r/sample", tag: "v1" }, code: { repository: "https://git.example/s.git", ref: "v1.0.0" } },
            { name: "two", image: { repository: "r/two", tag: "v8" } },
        ]);
        await expect(setReleases(stack, { nope: { tag: "v1" } })).rejects.toThrow('berth:apps has no app named "nope"');
    }, 60_000);

    it("keeps a berth:apps set as one secret a secret", async () => {
        const stack = await stackWith("secret", (created) => created.setConfig("berth:apps", { value: JSON.stringify(apps), secret: true }));
        await setReleases(stack, { two: { tag: "v8" } });
        expect((await stack.getConfig("berth:apps")).secret).toBe(true);
        expect(readFileSync(join(root, "secret", "Pulumi.prod.yaml"), "utf8")).not.toContain("r/two");
        expect((await storedApps(stack) as typeof apps)[1].image.tag).toBe("v8");
    }, 60_000);
});
