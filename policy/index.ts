/** The shop-backend policy pack: `pulumi preview --policy-pack policy` (see .github/workflows/preview.yml). */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("shop-backend", { policies: POLICIES });
