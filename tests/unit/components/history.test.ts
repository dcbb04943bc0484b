import { validateConfig } from "../../../components/config";
import { pickPrevious } from "../../../stacks/history";

const [app] = validateConfig({
    hosts: [{ name: "web-1", address: "10.0.0.1", roles: ["web", "loadbalancer"] }],
    loadBalancer: { host: "web-1" },
    apps: [{ name: "sample", domain: "sample.localhost", image: { repository: "r/sample", tag: "v2" }, code: { repository: "/git", ref: "v2.0.0" }, webPort: 8001, hosts: { web: ["web-1"] } }],
}).apps;

describe("pickPrevious", () => {
    it("points at what ran before when this deploy changes the tag or the ref", () => {
        expect(pickPrevious(app, { tag: "v1", codeRef: "v2.0.0" }, undefined)).toEqual({ tag: "v1", codeRef: "v2.0.0" });
        expect(pickPrevious(app, { tag: "v2", codeRef: "v1.9.0" }, { tag: "v0" })).toEqual({ tag: "v2", codeRef: "v1.9.0" });
    });

    it("keeps the recorded pointer when nothing changes, so a re-run does not lose it", () => {
        expect(pickPrevious(app, { tag: "v2", codeRef: "v2.0.0" }, { tag: "v1", codeRef: "v1.9.0" })).toEqual({ tag: "v1", codeRef: "v1.9.0" });
    });

    it("has nothing to roll back to on a first deploy", () => {
        expect(pickPrevious(app, undefined, undefined)).toBeUndefined();
    });
});
