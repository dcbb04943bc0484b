export * from "./errors";
export * from "./types";
export { validateConfig, RawConfig } from "./validate";
export { dropletHosts, recordName } from "./digitalocean";
