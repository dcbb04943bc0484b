import { run, succeeds } from "./processes";

/** Builds an image from a directory holding a Dockerfile. */
export async function buildImage(tag: string, contextDirectory: string, buildArgs: Record<string, string> = {}): Promise<void> {
    const args = ["build", "-q", "-t", tag];
    for (const [name, value] of Object.entries(buildArgs).sort()) {
        args.push("--build-arg", `${name}=${value}`);
    }
    await run("docker", [...args, contextDirectory]);
}

export function containerExists(nameOrId: string): Promise<boolean> {
    return succeeds("docker", ["container", "inspect", nameOrId]);
}

export async function removeContainers(...names: string[]): Promise<void> {
    for (const name of names) {
        await succeeds("docker", ["rm", "-f", "-v", name]);
    }
}

export async function removeImages(...tags: string[]): Promise<void> {
    for (const tag of tags) {
        await succeeds("docker", ["image", "rm", "-f", tag]);
    }
}
