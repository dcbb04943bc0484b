// berth's policy pack: what every deploy must respect. Mandatory by default;
// a stack may make them advisory with a policy config file (policy/local.json),
// unless its berth:production is true: then the guard refuses (enforcement.ts).
import { PolicyPack } from "@pulumi/policy";
import { serveGuarded } from "./enforcement";
import { policies } from "./policies";

serveGuarded(() => new PolicyPack("berth", { enforcementLevel: "mandatory", policies }));
