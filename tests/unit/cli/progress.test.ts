import { condense } from "../../../cli/progress";

describe("condense", () => {
    it("keeps what a failed remote command says of itself and how its output ended", () => {
        const message = 'command failed with exit code 1: running "set -eu\\ncurl ...":\n' + "curl: (22) 503\n".repeat(20) + "http://x/healthz did not answer 2xx within 20s";
        expect(condense(message)).toBe("command failed with exit code 1\n…\ncurl: (22) 503\nhttp://x/healthz did not answer 2xx within 20s");
    });

    it("keeps the head and tail of a long diagnostic, and short ones whole", () => {
        const traceback = ["1 error occurred:", "* timeout after 20s waiting for container abc to become healthy; output: Traceback", "  File a", "  File b", "  File c", "HTTPError: HTTP Error 503"].join("\n");
        expect(condense(traceback)).toBe("1 error occurred:\n* timeout after 20s waiting for container abc to become healthy; output: Traceback\n…\n  File c\nHTTPError: HTTP Error 503".replace("  File c", "File c"));
        expect(condense("short\nmessage")).toBe("short\nmessage");
    });
});
