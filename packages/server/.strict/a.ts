import { createXdsServer } from "@xdskit/server";
import { createSnapshotCache } from "@xdskit/cache-snapshot";
const cache = createSnapshotCache({ logger: process.env.X ? console : undefined });
const server = createXdsServer(cache, { logger: process.env.X ? console : undefined });
await server.close();
