import { describe, expect, it } from "vitest";
import { ChangeListeners, type LogFields, type Logger } from "@xdskit/cache-core";

function recordingLogger(): Logger & { errors: Array<{ message: string; fields: LogFields | undefined }> } {
  const errors: Array<{ message: string; fields: LogFields | undefined }> = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (message, fields) => void errors.push({ message, fields }) };
}

describe("ChangeListeners", () => {
  it("calls every listener in order; one that throws is logged with the fields and the others still run", () => {
    const logger = recordingLogger();
    const listeners = new ChangeListeners<number>(logger, { typeUrl: "t" });
    expect(listeners.listening).toBe(false);
    const seen: string[] = [];
    listeners.add((n) => void seen.push(`a${n}`));
    listeners.add(() => {
      throw new Error("boom");
    });
    listeners.add((n) => void seen.push(`c${n}`));
    expect(listeners.listening).toBe(true);
    listeners.emit(1);
    expect(seen).toEqual(["a1", "c1"]);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.fields).toMatchObject({ typeUrl: "t", error: expect.any(Error) });
  });

  it("calls a function added twice twice, and each cancel removes one", () => {
    const listeners = new ChangeListeners<number>(recordingLogger());
    let calls = 0;
    const listener = () => {
      calls += 1;
    };
    const cancelFirst = listeners.add(listener);
    const cancelSecond = listeners.add(listener);
    listeners.emit(0);
    expect(calls).toBe(2);
    cancelFirst();
    listeners.emit(0);
    expect(calls).toBe(3);
    cancelSecond();
    expect(listeners.listening).toBe(false);
  });
});
