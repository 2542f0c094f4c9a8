import { describe, expect, it, vi } from "vitest";
import { CacheError, silentLogger, type Logger } from "@xdskit/cache-core";

describe("CacheError", () => {
  it("is an Error with a code, the type and resource involved, and a cause", () => {
    const cause = new Error("boom");
    const error = new CacheError("invalid-resource", "listener \"l\" is bad", { typeUrl: "t", resourceName: "l", cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CacheError");
    expect(error.code).toBe("invalid-resource");
    expect(error.typeUrl).toBe("t");
    expect(error.resourceName).toBe("l");
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('listener "l" is bad');
  });

  it("names the field to blame", () => {
    const error = new CacheError("invalid-options", "heartbeatIntervalMs must be positive", { field: "heartbeatIntervalMs" });
    expect(error.field).toBe("heartbeatIntervalMs");
    expect(new CacheError("unknown-type", "x").field).toBeUndefined();
  });

  it("is the base of each cache's own error, which keeps its name", () => {
    class ExampleCacheError extends CacheError {
      override readonly name: string = "ExampleCacheError";
    }
    const error = new ExampleCacheError("inconsistent", "snapshot is inconsistent", { typeUrl: "t" });
    expect(error).toBeInstanceOf(CacheError);
    expect(error.name).toBe("ExampleCacheError");
    expect(error.code).toBe("inconsistent");
    expect(String(error)).toBe("ExampleCacheError: snapshot is inconsistent");
  });

  it("leaves details undefined when not given", () => {
    const error = new CacheError("unknown-type", "x");
    expect(error.typeUrl).toBeUndefined();
    expect(error.resourceName).toBeUndefined();
    expect("cause" in error).toBe(false);
  });
});

describe("silentLogger", () => {
  it("accepts every level and writes nothing", () => {
    const log = vi.spyOn(console, "log");
    const err = vi.spyOn(console, "error");
    const warn = vi.spyOn(console, "warn");
    const logger: Logger = silentLogger;
    logger.debug("d", { a: 1 });
    logger.info("i");
    logger.warn("w", {});
    logger.error("e", { cause: new Error("x") });
    expect(log).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(Object.isFrozen(silentLogger)).toBe(true);
  });
});
