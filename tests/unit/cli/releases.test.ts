import { describeChanges, parseRollbackTo, rollbackTargets } from "../../../cli/releases";

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
        expect(rollbackTargets({ sample: { tag: "v2", codeRef: "v1.1.0" } }, state, { sample: { tag: "v1" } })).toEqual({ sample: { tag: "v1", codeRef: "v1.0.0" } });
        expect(rollbackTargets({ sample: { tag: "v2", codeRef: "v1.1.0" } }, state, { sample: { tag: "v0" } })).toEqual({ sample: { tag: "v0", codeRef: "v1.1.0" } });
    });

    it("moves only the named apps, each to its own release, with a code ref when given", () => {
        const desired = { sample: { tag: "v2", codeRef: "v1.1.0" }, api: { tag: "7" } };
        expect(rollbackTargets(desired, state, { api: { tag: "6" } })).toEqual({ api: { tag: "6" } });
        expect(rollbackTargets(desired, state, { sample: { tag: "v1", codeRef: "v0.9.0" }, api: { tag: "5" } })).toEqual({
            sample: { tag: "v1", codeRef: "v0.9.0" },
            api: { tag: "5" },
        });
    });

    it("has nothing to go back to for an app deployed once", () => {
        expect(rollbackTargets({ fresh: { tag: "1" } }, state)).toEqual({});
    });
});

describe("parseRollbackTo", () => {
    const oneApp = { sample: { tag: "v2", codeRef: "v1.1.0" } };
    const twoApps = { sample: { tag: "v2", codeRef: "v1.1.0" }, api: { tag: "7" } };

    it("takes a bare tag (or TAG@REF) on a stack with one app", () => {
        expect(parseRollbackTo(["v1"], oneApp)).toEqual({ sample: { tag: "v1" } });
        expect(parseRollbackTo(["v1@v1.0.0"], oneApp)).toEqual({ sample: { tag: "v1", codeRef: "v1.0.0" } });
        expect(parseRollbackTo(["sample=v1"], oneApp)).toEqual({ sample: { tag: "v1" } });
    });

    it("refuses a bare tag when the stack has more than one app, saying how to name them", () => {
        expect(() => parseRollbackTo(["v1"], twoApps)).toThrow(
            "rollback --to v1: the stack has 2 apps (sample, api); say which one goes to v1: --to sample=v1 (several at once: --to sample=TAG,api=TAG)",
        );
    });

    it("takes APP=TAG and APP=TAG@REF, comma-separated or repeated", () => {
        expect(parseRollbackTo(["sample=v1@tags/hotfix-2,api=6"], twoApps)).toEqual({ sample: { tag: "v1", codeRef: "tags/hotfix-2" }, api: { tag: "6" } });
        expect(parseRollbackTo(["api=6", "sample=v1"], twoApps)).toEqual({ api: { tag: "6" }, sample: { tag: "v1" } });
    });

    it("refuses what it cannot apply, every problem in one error", () => {
        expect(() => parseRollbackTo(["web=1,api=6,api=5,sample=v1;rm,api=6@v1.0.0,sample=v1@..,"], twoApps)).toThrow([
            'rollback --to "web=1,api=6,api=5,sample=v1;rm,api=6@v1.0.0,sample=v1@..,": name each release as APP=TAG or APP=TAG@REF, separated by commas',
            'rollback --to web=1: the stack has no app named "web" (its apps: sample, api)',
            "rollback --to api=5: names api a second time",
            "rollback --to sample=v1;rm: \"v1;rm\" is not an image tag (letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters)",
            "rollback --to api=6@v1.0.0: names api a second time",
            'rollback --to sample=v1@..: ".." is not a git ref name (a tag like v1.4.2 or tags/<name>, or an allowed branch)',
        ].join("\n"));
        expect(() => parseRollbackTo(["api=6@v1.0.0"], twoApps)).toThrow(
            "rollback --to api=6@v1.0.0: api has no code volume (berth:apps[].code), so there is no code ref to set; use --to api=6",
        );
        expect(() => parseRollbackTo([], twoApps)).toThrow(/name each release as APP=TAG/);
        expect(() => parseRollbackTo(["v1"], {})).toThrow("rollback --to v1: the stack's config names no app (berth:apps)");
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
