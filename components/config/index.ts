export * from "./errors";
export * from "./types";
export { validateConfig, validateStackConfig, KeyFileCheck, RawConfig, ValidatedStackConfig } from "./validate";
export { dropletHosts, recordName } from "./digitalocean";
