import { createHash } from "node:crypto";
import { ImageSpec } from "./config/types";

/** The one place an image reference is composed: `repository:tag`. */
export function imageReference(app: { image: ImageSpec }): string {
    return `${app.image.repository}:${app.image.tag}`;
}

/** Container names on a host: one app's containers never collide with another's. */
export const containerNames = {
    web: (appName: string) => `${appName}-web`,
    worker: (appName: string) => `${appName}-worker`,
    beat: (appName: string) => `${appName}-beat`,
    release: (appName: string, task: string) => `${appName}-release-${task.split(" ")[0]}`,
    nginx: "berth-nginx",
    /** `_` never appears in an app's name, so an accessory's container never meets an app's. */
    accessory: (accessoryName: string) => `accessory_${accessoryName}`,
};

/** A short, stable fingerprint of rendered content, for `triggers` and labels. */
export function fingerprint(...parts: string[]): string {
    const hash = createHash("sha256");
    for (const part of parts) {
        hash.update(part).update("\0");
    }
    return hash.digest("hex").slice(0, 16);
}
