// berth: one Pulumi program for every stack; the stack's config says where.
import { deployStack, readStackConfig } from "./stacks";
import { formatSdkPromiseStacksPlainly } from "./stacks/sdkPromiseStacks";

formatSdkPromiseStacksPlainly();

const deployment = deployStack(readStackConfig());

/** Per app: url, image, tag, codeRef, hosts, upstreamServers, rolloutPlan (see README, "Stack outputs"). */
export const apps = deployment.apps;
/** nginx's host: {host, address, httpPort}, and reservedIp on DigitalOcean. */
export const loadBalancer = deployment.loadBalancer;
/** Per role (web, worker, beat, loadbalancer, data): [{name, address, privateAddress}]. */
export const hosts = deployment.hosts;
/** Per app, the tag and code ref deployed before the current ones: where a rollback goes. */
export const previousReleases = deployment.previousReleases;
/** Per host, the SSH host key berth verifies every connection against (pinned at first use, or from config). */
export const hostKeys = deployment.hostKeys;
/** Per accessory (berth:accessories): {type, image, host, address, port}; never a password. */
export const accessories = deployment.accessories;
/** Per managed database (berth:digitalocean.databases): {engine, host, port} on the VPC; never a password. */
export const databases = deployment.databases;
