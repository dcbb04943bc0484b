import { describeChanges, rollbackTargets } from "../../../cli/releases";

describe("rollbackTargets", () => {
    const state = {
        deployed: { sample: { tag: "v2", codeRef: "v1.1.0" }, api: { tag: "7" } },
        previous: { sample: { tag: "v1", codeRef: "v1.0.0" }, api: { tag: "6" } },
    };

    it("goes back to the release before the deployed one when the config names the deployed one", () => {
        expect(rollbackTargets({ sample: { tag: "v2", codeRef: "v1.1.0" }, api: { tag: "7" } }, state)).toEqual({
            sample: { tag: "v1", codeRef: "v1.0.0" },
            api: { tag: "6" },
        });
    });

    it("goes back to the deployed release after a deploy that failed part-way", () => {
        expect(rollbackTargets({ sample: { tag: "v3", codeRef: "v1.1.0" }, api: { tag: "7" } }, state)).toEqual({
            sample: { tag: "v2", codeRef: "v1.1.0" },
            api: { tag: "6" },
        });
    });

    it("takes a named tag, with the code ref recorded for it when there is one", () => {
        expect(rollbackTargets({ sample: { tag: "v2", codeRef: "v1.1.0" } }, state, "v1")).toEqual({ sample: { tag: "v1", codeRef: "v1.0.0" } });
        expect(rollbackTargets({ sample: { tag: "v2", codeRef: "v1.1.0" } }, state, "v0")).toEqual({ sample: { tag: "v0", codeRef: "v1.1.0" } });
    });

    it("has nothing to go back to for an app deployed once", () => {
        expect(rollbackTargets({ fresh: { tag: "1" } }, state)).toEqual({});
    });
});

describe("describeChanges", () => {
    it("names what changes per app, and leaves unchanged apps out", () => {
        expect(describeChanges(
            { sample: { tag: "v1", codeRef: "a" }, api: { tag: "7" }, web: { tag: "1", codeRef: "x" } },
            { sample: { tag: "v2", codeRef: "a" }, api: { tag: "7" }, web: { tag: "1", codeRef: "y" }, fresh: { tag: "3" } },
        )).toEqual(["sample v1 → v2", "web ref x → y", "fresh (new) → 3"]);
    });
});
