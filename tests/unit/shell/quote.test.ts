import { execFileSync } from "node:child_process";
import { chain, quote, words } from "../../../components/shell/quote";

describe("quote", () => {
    it("leaves safe words readable", () => {
        expect(words("docker", "restart", "--time", "30", "antisocial-worker")).toBe("docker restart --time 30 antisocial-worker");
        expect(quote("/srv/berth/app:/srv/berth/app")).toBe("/srv/berth/app:/srv/berth/app");
    });

    it("single-quotes everything else, including empty words and embedded quotes", () => {
        expect(quote("")).toBe("''");
        expect(quote("a b")).toBe("'a b'");
        expect(quote("it's $HOME")).toBe("'it'\\''s $HOME'");
        expect(chain("true", "false")).toBe("true && false");
    });

    it("round-trips hostile words through a real shell", () => {
        const hostile = ["", "a b", "it's", "$(touch /tmp/pwned)", "`id`", "x;y|z&", "new\nline", "\\", "*"];
        const printed = execFileSync("/bin/sh", ["-c", `printf '%s\\0' ${words(...hostile)}`], { encoding: "utf8" });
        expect(printed.split("\0").slice(0, -1)).toEqual(hostile);
    });
});
