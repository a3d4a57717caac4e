/**
 * The container health check: exits 0 while the worker loop's heartbeat is fresh, 1 otherwise.
 * Run by the image's HEALTHCHECK and by the ECS task definition's healthCheck.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_HEARTBEAT_FILE, HEARTBEAT_FILE_ENV, HEARTBEAT_MAX_AGE_ENV, heartbeatIsFresh } from "./heartbeat";

const file = process.env[HEARTBEAT_FILE_ENV] || DEFAULT_HEARTBEAT_FILE;
const maxAge = Number(process.env[HEARTBEAT_MAX_AGE_ENV] || 180);
let content = "";
try {
  content = readFileSync(file, "utf8");
} catch {
  // no heartbeat yet: unhealthy once the start period is over
}
process.exit(heartbeatIsFresh(content, Date.now(), maxAge) ? 0 : 1);
