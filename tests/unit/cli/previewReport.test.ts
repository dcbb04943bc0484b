import { appPlan } from "../../../cli/preview";
import { PreviewReport, renderPreviewMarkdown, renderPreviewText } from "../../../cli/previewReport";
import { planTimeline } from "../../../cli/timeline";
import { twoWebHostSpec } from "../../support/twoWebHostSpec";

const spec = twoWebHostSpec;
const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:remote:Command";

describe("the preview report", () => {
    it("judges each app's path from what the engine would change", () => {
        const app = spec.apps[0];
        expect(appPlan(app, [{ op: "replace", name: "sample-web-web-1", type: CONTAINER, diffs: ["image"] }]).path).toBe("image");
        expect(appPlan(app, [{ op: "replace", name: "sample-code-web-1", type: COMMAND, diffs: ["triggers"] }]).path).toBe("code");
        expect(appPlan(app, [{ op: "replace", name: "other-web-web-1", type: CONTAINER, diffs: [] }])).toEqual({ app: "sample", path: "none", lines: [] });
    });

    it("renders a tag change as a pull-request comment with the rollout in order", () => {
        const steps = [
            { op: "replace", name: "sample-image-web-1", type: "docker:index/remoteImage:RemoteImage", diffs: ["name"] },
            { op: "replace", name: "sample-release", type: COMMAND, diffs: ["triggers"] },
            { op: "replace", name: "sample-web-web-1", type: CONTAINER, diffs: ["image"] },
            { op: "replace", name: "sample-beat-worker-1", type: CONTAINER, diffs: ["image"] },
        ];
        const report: PreviewReport = {
            stack: "prod",
            changes: ["sample v1 → v2"],
            counts: { same: 30, replace: 4 },
            steps,
            plans: [appPlan(spec.apps[0], steps)],
            blockedByPolicy: false,
            policyViolations: ["advisory log-rotation: sample-worker-worker-1: container sample-worker does not rotate its logs"],
            repairs: ["sample code@web-2: code is v1.0.0, the stack has v1.1.0 → replace sample-code-web-2, sample-healthy-web-2"],
            timeline: planTimeline("berth preview prod", [{ app: spec.apps[0], path: "image" }], spec.hosts.map((host) => host.name)),
        };
        expect(renderPreviewMarkdown(report)).toMatchSnapshot();
        expect(renderPreviewText(report)).toMatchSnapshot();
    });
});
