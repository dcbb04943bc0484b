// Setup steps that a cache would otherwise hide: the base image import runs
// for real with every docker client this machine has on PATH (Debian's
// 20.10 and a newer one in /usr/local/bin take different flags), and its
// cache key changes with what the image is built from.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { run, succeeds } from "./support/processes";
import { repositoryRoot } from "./support/repository";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const clients = ["/usr/local/bin/docker", "/usr/bin/docker"].filter((client) => existsSync(client));

/** Runs one setup step's function in bash, with the given client first on PATH and a throwaway image name. */
function setupStep(client: string, image: string, script: string, extraEnvironment: Record<string, string> = {}): Promise<string> {
    const environment = Object.entries({ BERTH_BASE_IMAGE: image, PATH: `${dirname(client)}:${process.env.PATH}`, ...extraEnvironment })
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(" ");
    const source = ["env.sh", "setup/lib.sh", "setup/base-image.sh"].map((file) => `source ${join(repositoryRoot, "scripts", file)}`).join("; ");
    return run("bash", ["-c", `set -euo pipefail; export ${environment}; ${source}; ${script}`]);
}

describe("setup on this machine's docker clients", () => {
    const images: string[] = [];

    afterAll(async () => {
        for (const image of images) {
            await succeeds("docker", ["image", "rm", "-f", image]);
        }
    });

    it.each(clients)("imports the base image with %s first on PATH, and finds it by its key afterwards", async (client) => {
        const image = `berth-setup-check/base-${clients.indexOf(client)}:${runId}`;
        images.push(image);
        const version = await run(client, ["version", "--format", "{{.Client.Version}}"]);
        expect(version.trim()).toMatch(/^\d+\./);

        const imported = await setupStep(client, image, "ensure_base_image");
        expect(imported).toMatch(/(imported from|from debian:bookworm-slim) .*\(key [0-9a-f]{16}\)/);
        const key = (await setupStep(client, image, "base_image_key")).trim();
        expect((await run("docker", ["image", "inspect", "--format", '{{index .Config.Labels "berth.base-key"}}', image])).trim()).toBe(key);

        // Found by its key: nothing is imported again ...
        expect(await setupStep(client, image, "ensure_base_image")).toMatch(/present \(key [0-9a-f]{16}\)/);
        // ... unless CI asks for a fresh import.
        expect(await setupStep(client, image, "ensure_base_image", { BERTH_FRESH_IMAGES: "1" })).toMatch(/rebuilding: BERTH_FRESH_IMAGES=1/);
    }, 10 * 60_000);

    it("keys the base image by what it is built from: another mirror is another key", async () => {
        const client = clients[0];
        const image = `berth-setup-check/base-key:${runId}`;
        const ours = (await setupStep(client, image, "base_image_key")).trim();
        const otherMirror = (await setupStep(client, image, "base_image_key", { BERTH_DEBIAN_MIRROR: "http://mirror.invalid/debian" })).trim();
        expect(ours).toMatch(/^[0-9a-f]{16}$/);
        expect(otherMirror).not.toBe(ours);
    });
});
