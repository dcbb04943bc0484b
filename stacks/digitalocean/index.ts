export { renderCloudInit, CloudInitSettings, HOST_PACKAGES, SSHD_DROP_IN } from "./cloudInit";
export { planDnsRecords, AppDnsRecord } from "./dns";
export { planFirewalls, FirewallPlan, InboundRule, INTERNET } from "./firewall";
export { DropletFleet, DropletFleetArgs, DropletHost } from "./fleet";
export { DOCKER_CONFIG_FILE, installDockerConfig, registryLogin, RegistryLogin, waitForCloudInit } from "./hostCommands";
export { dropletTags, stackTags, StackTags } from "./tags";
