/**
 * How many inputs each fuzz property sees, and the one way properties are declared.
 *
 * The normal run (`npm test`, vitest.config.ts) provides nothing, so every property
 * runs at the small CI count. `npm run fuzz` (vitest.fuzz.config.ts) provides
 * 100,000 per pure property and 300 for the Worker-level one. Each test records
 * what fast-check actually ran in `task.meta.fuzz`, which scripts/fuzz.mjs prints.
 */
import fc from "fast-check";
import { inject, it } from "vitest";

declare module "vitest" {
  interface ProvidedContext {
    fuzzRuns: number;
    fuzzIntegrationRuns: number;
  }
  interface TaskMeta {
    fuzz?: FuzzMeta;
  }
}

export type FuzzMeta = { runs: number; target: number; accepted: number; counterexamples: number; seed: number };

const CI_RUNS = 300;
const CI_INTEGRATION_RUNS = 30;

export const FUZZ_RUNS: number = inject("fuzzRuns") ?? CI_RUNS;
export const INTEGRATION_RUNS: number = inject("fuzzIntegrationRuns") ?? CI_INTEGRATION_RUNS;

/** The fuzz config sets its own testTimeout; the normal run's 5 s default is too short for the Worker-level property. */
const TIMEOUT_MS = inject("fuzzRuns") === undefined ? 30_000 : undefined;

/**
 * A predicate throws (expect) on a violation and returns which side of the parser the
 * input reached, so the report shows both sides were exercised.
 */
export type Outcome = "accepted" | "refused";
type Predicate<T> = (value: T) => Outcome;
type AsyncPredicate<T> = (value: T) => Promise<Outcome>;
type TaskLike = { meta: { fuzz?: FuzzMeta } };

class Tally {
  calls = 0;
  accepted = 0;
  count(outcome: unknown): void {
    this.calls++;
    if (outcome === "accepted") this.accepted++;
    else if (outcome !== "refused") throw new Error(`predicate returned ${String(outcome)}, not "accepted" or "refused"`);
  }
}

/**
 * One property: the test name states the invariant. Fails with fast-check's report
 * (seed, path, shrunk counterexample). Passing, the predicate must have run exactly
 * the requested number of times, so the printed count is the real one.
 */
export function fuzz<T>(invariant: string, arbitrary: fc.Arbitrary<T>, predicate: Predicate<T>, numRuns = FUZZ_RUNS): void {
  it(invariant, ({ task }) => {
    const tally = new Tally();
    const details = fc.check(fc.property(arbitrary, (value) => tally.count(predicate(value))), { numRuns });
    settle(task, details, tally, numRuns);
  }, TIMEOUT_MS);
}

/** `fuzz` for a property whose check awaits (streams, the Worker). */
export function fuzzAsync<T>(
  invariant: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: AsyncPredicate<T>,
  numRuns = FUZZ_RUNS,
): void {
  it(invariant, async ({ task }) => {
    const tally = new Tally();
    const details = await fc.check(fc.asyncProperty(arbitrary, async (value) => tally.count(await predicate(value))), { numRuns });
    settle(task, details, tally, numRuns);
  }, TIMEOUT_MS);
}

function settle<T>(task: TaskLike, details: fc.RunDetails<[T]>, tally: Tally, target: number): void {
  // Once a run fails, further calls are shrinking, not new inputs.
  const runs = details.failed ? details.numRuns : tally.calls;
  task.meta.fuzz = { runs, target, accepted: tally.accepted, counterexamples: details.failed ? 1 : 0, seed: details.seed };
  if (details.failed || details.interrupted) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details) ?? "property failed"}\nFailure: ${cause}`);
  }
  if (details.numSkips !== 0 || tally.calls !== target || details.numRuns !== target) {
    throw new Error(`ran ${tally.calls} predicate calls, fast-check counted ${details.numRuns} runs and ${details.numSkips} skips, wanted ${target}`);
  }
}
