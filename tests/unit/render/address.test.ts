import { hostAndPort, urlHost } from "../../../components/render/address";

describe("addresses in URLs and host:port pairs", () => {
    it("puts IPv6 addresses in brackets, and only them", () => {
        expect(hostAndPort("2001:db8::1", 8001)).toBe("[2001:db8::1]:8001");
        expect(hostAndPort("[2001:db8::1]", 8001)).toBe("[2001:db8::1]:8001");
        expect(hostAndPort("10.10.0.5", 8001)).toBe("10.10.0.5:8001");
        expect(urlHost("web-1.example.com")).toBe("web-1.example.com");
        expect(new URL(`ssh://root@${urlHost("2001:db8::1")}:22`).port).toBe("22");
    });
});
