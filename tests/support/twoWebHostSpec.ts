import { validateConfig } from "../../components/config";

/**
 * The usual small fleet as a validated spec: two web hosts, a worker host
 * that also runs beat, a load balancer, and the sample app on them with
 * migrate and collectstatic.
 */
export const twoWebHostSpec = validateConfig({
    hosts: [
        { name: "web-1", address: "10.0.0.11", roles: ["web"] },
        { name: "web-2", address: "10.0.0.12", roles: ["web"] },
        { name: "worker-1", address: "10.0.0.13", roles: ["worker", "beat"] },
        { name: "lb-1", address: "10.0.0.10", roles: ["loadbalancer"] },
    ],
    loadBalancer: { host: "lb-1" },
    apps: [{
        name: "sample", domain: "sample.example.com", image: { repository: "registry.example.com/sample", tag: "v2" },
        code: { repository: "https://git.example.com/sample.git", ref: "v1.0.0" }, webPort: 8001,
        hosts: { web: ["web-1", "web-2"], worker: ["worker-1"], beat: ["worker-1"] }, release: ["migrate", "collectstatic"],
    }],
});
