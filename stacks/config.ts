import { homedir } from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { BerthSpec, ConfigError, validateConfig } from "../components/config";

/** Everything a berth stack reads from its `berth:*` config keys. */
export interface StackConfig {
    spec: BerthSpec;
    /** Private key file the deploying machine reaches the hosts with. */
    sshKeyPath: string;
    /** Per app, secret settings (`berth:secrets`), merged into the app's env file. */
    secrets: pulumi.Output<Record<string, Record<string, string>>>;
}

/**
 * Reads and validates the stack's config once, before any resource is
 * registered: a bad config fails here with every problem listed, and nothing
 * on any host changes.
 */
export function readStackConfig(config = new pulumi.Config("berth")): StackConfig {
    const spec = validateConfig({
        production: config.getObject<unknown>("production"),
        hosts: config.getObject<unknown>("hosts"),
        loadBalancer: config.getObject<unknown>("loadBalancer"),
        apps: config.getObject<unknown>("apps"),
        digitalocean: config.getObject<unknown>("digitalocean"),
    });
    const sshKeyPath = config.get("sshKeyPath");
    if (!sshKeyPath) {
        throw new ConfigError([{ propertyPath: "berth:sshKeyPath", reason: "must be set: the private key file that reaches the hosts over SSH" }]);
    }
    const secrets = config.getSecretObject<Record<string, Record<string, string>>>("secrets") ?? pulumi.secret<Record<string, Record<string, string>>>({});
    return { spec, sshKeyPath: sshKeyPath.replace(/^~(?=\/)/, homedir()), secrets: pulumi.output(secrets) };
}
