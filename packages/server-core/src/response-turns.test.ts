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

  it("wait: a writer that polled null is woken once, when a response is put, or in a later turn with the turn kept for it", async () => {
    const turns = new ResponseTurns(1);
    const first = new ResponseQueue<string>(false, turns);
    const second = new ResponseQueue<string>(false, turns);
    const woken: string[] = [];
    // Nothing queued: woken by the put, at once.
    expect(first.poll()).toBeNull();
    first.wait(() => woken.push("first"));
    first.put("t", "a");
    expect(woken).toEqual(["first"]);
    expect(first.poll()).toEqual(["t", "a"]);
    // The turn's one place is taken: the second queue's response waits for the next turn, which is kept for it.
    second.put("t", "b");
    expect(second.poll()).toBeNull();
    second.wait(() => woken.push("second"));
    expect(woken).toEqual(["first"]);
    await turn();
    expect(woken).toEqual(["first", "second"]);
    expect(second.poll()).toEqual(["t", "b"]);
    // Ended: woken at once, and poll says so.
    second.end();
    second.wait(() => woken.push("ended"));
    expect(woken).toEqual(["first", "second", "ended"]);
    expect(second.poll()).toBeUndefined();
  });

  it("wait: a turn granted to a response dropped meanwhile wakes its writer once, then waits for the next put (no wake per poll)", async () => {
    const turns = new ResponseTurns(1);
    const first = new ResponseQueue<string>(false, turns);
    const second = new ResponseQueue<string>(false, turns);
    first.put("t", "a");
    expect(first.poll()).toEqual(["t", "a"]);
    second.put("t", "b");
    expect(second.poll()).toBeNull();
    let wakes = 0;
    second.wait(() => wakes++);
    // The watch is replaced before the turn comes: its answer is dropped.
    second.drop("t");
    await turn();
    expect(wakes).toBe(1);
    expect(second.poll()).toBeNull();
    // Nothing to send: the writer waits again, and is not woken until a response is put.
    second.wait(() => wakes++);
    expect(wakes).toBe(1);
    second.put("t", "c");
    expect(wakes).toBe(2);
    expect(second.poll()).toEqual(["t", "c"]);
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
