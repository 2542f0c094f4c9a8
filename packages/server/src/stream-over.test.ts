import { describe, expect, it } from "vitest";
import { endStreamSignal, STREAM_OVER } from "./stream-over.js";

describe("endStreamSignal", () => {
  it("aborts with one shared AbortError, whatever the stream", () => {
    const a = new AbortController();
    const b = new AbortController();
    endStreamSignal(a);
    endStreamSignal(b);
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe(STREAM_OVER);
    expect(b.signal.reason).toBe(STREAM_OVER);
    expect(STREAM_OVER).toBeInstanceOf(DOMException);
    expect(STREAM_OVER.name).toBe("AbortError");
  });

  it("keeps the first reason and tells listeners once", () => {
    const abort = new AbortController();
    let calls = 0;
    abort.signal.addEventListener("abort", () => calls++);
    const earlier = new Error("client left");
    abort.abort(earlier);
    endStreamSignal(abort);
    endStreamSignal(abort);
    expect(abort.signal.reason).toBe(earlier);
    expect(calls).toBe(1);
  });
});
