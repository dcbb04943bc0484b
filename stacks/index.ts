export { readStackConfig, StackConfig } from "./config";
export { deployStack, StackOutputs, AppOutputs, HostOutputs, LoadBalancerOutputs } from "./deploy";
export { previousReleases, pickPrevious, PreviousRelease } from "./history";
