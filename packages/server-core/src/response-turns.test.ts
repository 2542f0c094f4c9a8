import { ResponseQueue, ResponseTurns } from "@xdskit/server-core/internal";
import { describe, expect, it } from "vitest";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("ResponseTurns", () => {
  it("hands out at most perTurn responses per event-loop turn, first come first served, and every one in the end", async () => {
    const turns = new ResponseTurns(4);
    const queues = Array.from({ length: 10 }, () => new ResponseQueue<number>(false, turns));
    for (const [i, queue] of queues.entries()) queue.put("t", i);
    const taken: number[] = [];
    const all = Promise.all(queues.map(async (queue) => taken.push((await queue.take())?.[1] ?? -1)));
    // Before the event loop turns, only the first turn's share is out.
    await Promise.resolve();
    await Promise.resolve();
    expect(taken).toEqual([0, 1, 2, 3]);
    await turn();
    expect(taken).toHaveLength(8);
    await all;
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("does not hold a queue's response once the queue ended or failed while it waited", async () => {
    const turns = new ResponseTurns(1);
    const first = new ResponseQueue<string>(false, turns);
    const ended = new ResponseQueue<string>(false, turns);
    const failed = new ResponseQueue<string>(false, turns);
    for (const queue of [first, ended, failed]) queue.put("t", "x");
    const results = [first.take(), ended.take(), failed.take().catch((error: unknown) => error)];
    ended.end();
    failed.fail(new Error("gone"));
    expect(await results[0]).toEqual(["t", "x"]);
    expect(await results[1]).toBeUndefined();
    expect(((await results[2]) as Error).message).toBe("gone");
  });

  it("a newer response replaces a waiting one until it is taken", async () => {
    const turns = new ResponseTurns(1);
    const busy = new ResponseQueue<string>(false, turns);
    const queue = new ResponseQueue<string>(false, turns);
    busy.put("t", "a");
    queue.put("t", "old");
    const first = busy.take();
    const waiting = queue.take();
    queue.put("t", "new");
    await first;
    expect(await waiting).toEqual(["t", "new"]);
  });
});
