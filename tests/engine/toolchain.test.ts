// The real-engine tier's first proof: the Pulumi CLI, the Node.js language
// host and the docker and command provider plugins that `npm run setup`
// installs run a program end to end through the Automation API.
import { join } from "node:path";
import { buildImage, containerExists, removeContainers, removeImages } from "./support/docker";
import { createThrowawayStack, EventLog, ThrowawayStack } from "./support/engine";
import { httpRequest } from "./support/http";
import { freePort } from "./support/network";

const fixtures = join(__dirname, "fixtures");
const runId = `${process.pid}-${Date.now().toString(36)}`;
const imageRepository = `berth-toolchain-check-${runId}`;
const containerName = `berth-toolchain-check-${runId}`;
const containerType = "docker:index/container:Container";
const commandType = "command:local:Command";

describe("the Pulumi toolchain on this machine", () => {
    let throwaway: ThrowawayStack;
    let port: number;

    beforeAll(async () => {
        for (const version of ["v1", "v2"]) {
            await buildImage(`${imageRepository}:${version}`, join(fixtures, "toolchain-image"), { VERSION: version });
        }
        port = await freePort();
        throwaway = await createThrowawayStack(join(fixtures, "toolchain-program"), `toolchain-${runId}`);
        await throwaway.stack.setAllConfig({
            image: { value: `${imageRepository}:v1` },
            containerName: { value: containerName },
            port: { value: String(port) },
        });
    }, 300_000);

    afterAll(async () => {
        // Whatever a failed assertion left behind goes too.
        await throwaway?.stack.destroy().catch(() => undefined);
        await throwaway?.remove().catch(() => undefined);
        await removeContainers(containerName);
        await removeImages(`${imageRepository}:v1`, `${imageRepository}:v2`);
    }, 300_000);

    it("previews, creates, replaces on an image change and destroys", async () => {
        const { stack } = throwaway;

        const firstPreview = new EventLog();
        const preview = await stack.preview({ onEvent: firstPreview.onEvent });
        expect(preview.changeSummary).toEqual({ create: 3 });
        expect(firstPreview.steps().map((step) => [step.op, step.type])).toEqual(
            expect.arrayContaining([["create", containerType], ["create", commandType]]),
        );
        expect(await containerExists(containerName)).toBe(false);

        const creation = await stack.up({ onEvent: new EventLog().onEvent });
        expect(creation.summary.result).toBe("succeeded");
        expect(creation.summary.resourceChanges).toEqual({ create: 3 });
        expect(creation.outputs.page.value).toBe("toolchain v1");
        expect(await httpRequest(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 200, body: "toolchain v1\n" });
        const firstContainerId = creation.outputs.containerId.value;

        await stack.setConfig("image", { value: `${imageRepository}:v2` });
        const changePreview = new EventLog();
        const replacement = await stack.preview({ onEvent: changePreview.onEvent });
        expect(replacement.changeSummary.replace).toBe(2);
        const containerSteps = changePreview.stepsOfType(containerType);
        expect(containerSteps.map((step) => step.op)).toEqual(expect.arrayContaining(["delete-replaced", "create-replacement", "replace"]));
        expect(containerSteps.find((step) => step.op === "replace")!.diffs).toContain("image");

        const update = new EventLog();
        const updated = await stack.up({ onEvent: update.onEvent });
        expect(updated.summary.resourceChanges).toEqual({ replace: 2, same: 1 });
        expect(updated.outputs.page.value).toBe("toolchain v2");
        expect(updated.outputs.containerId.value).not.toBe(firstContainerId);
        expect(await httpRequest(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 200, body: "toolchain v2\n" });
        // A container with a fixed name is replaced delete-first: the engine's
        // own steps show the old one deleted before the new one is created.
        const containerOps = update.stepsOfType(containerType).map((step) => step.op);
        expect(containerOps.indexOf("delete-replaced")).toBeLessThan(containerOps.indexOf("create-replacement"));

        const teardown = await stack.destroy({ onEvent: new EventLog().onEvent });
        expect(teardown.summary.resourceChanges).toEqual({ delete: 3 });
        expect(await containerExists(containerName)).toBe(false);
    }, 600_000);
});
