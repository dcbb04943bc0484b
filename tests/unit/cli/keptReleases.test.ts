import { parseKeptReleases, renderKeptReleases } from "../../../cli/keptReleases";

describe("berth releases", () => {
    it("reads what a host keeps and says which release is linked and which tag deployed", () => {
        const kept = parseKeptReleases("web-1", "sample", [
            "release v1.0.0 3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a deployed",
            "release v1.1.0 9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d deployed",
            "release v1.2.0 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d fetched",
            "linked v1.0.0",
            "tag v1 absent",
            "tag v2 present",
            "tag v2.1 present",
            "",
        ].join("\n"));
        expect(kept).toEqual({
            host: "web-1",
            app: "sample",
            releases: [
                { ref: "v1.0.0", commit: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", deployed: true },
                { ref: "v1.1.0", commit: "9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d", deployed: true },
                { ref: "v1.2.0", commit: "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d", deployed: false },
            ],
            linked: "v1.0.0",
            tags: [{ tag: "v2.1", present: true }, { tag: "v2", present: true }, { tag: "v1", present: false }],
        });
        expect(renderKeptReleases([kept, parseKeptReleases("worker-1", "baked", "tag v7 present\n")], { sample: { tag: "v2", codeRef: "v1.0.0" }, baked: { tag: "v7" } })).toBe([
            "sample on web-1",
            "  code releases, newest deploy first: v1.0.0 (linked, 3f2a1b0) · v1.1.0 (9c8d7e6) · v1.2.0 (0a1b2c3, fetched, never deployed)",
            "  image tags, newest first: v2.1 · v2 (deployed) · v1 (image gone from the host)",
            "baked on worker-1",
            "  image tags, newest first: v7 (deployed)",
        ].join("\n"));
    });
});
