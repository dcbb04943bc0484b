// berth's policy pack: what every deploy must respect. Mandatory by default;
// a stack may make them advisory with a policy config file (policy/local.json).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("berth", { enforcementLevel: "mandatory", policies });
