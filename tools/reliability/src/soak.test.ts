// The soak's CI version: the same churn and faults as `pnpm soak`, for 60 s (SOAK_TEST_SECONDS).
import { expect, it } from "vitest";
import { formatSummary, runSoak } from "./soak.js";

const SECONDS = Number(process.env["SOAK_TEST_SECONDS"] ?? 60);

it(`soak, short version: ${SECONDS} s of churn and random faults keep every invariant`, async () => {
  const summary = await runSoak({ seconds: SECONDS, log: (line) => console.log(`[soak] ${line}`) });
  console.log(formatSummary(summary));
  expect(summary.violations).toEqual([]);
  expect(summary.checks).toBeGreaterThanOrEqual(3);
}, (SECONDS + 120) * 1000);
