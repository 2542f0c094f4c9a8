import { readFileSync } from "node:fs";
import { create, createFileRegistry, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { envoyFiles, envoyRegistry } from "@xdskit/envoy-api";
import { file_envoy_config_cluster_v3_cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";

// Every generated file hydrates its descriptor with src/file-desc.ts. These tests hold it to
// what protobuf-es makes of the same FileDescriptorProtos on its own (createFileRegistry of
// the whole set, checked and linked by the book).

function inDependencyOrder(files: readonly DescFile[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.proto.name, f.proto]));
  const ordered: FileDescriptorProto[] = [];
  const placed = new Set<string>();
  const place = (proto: FileDescriptorProto): void => {
    if (placed.has(proto.name)) return;
    placed.add(proto.name);
    for (const dep of proto.dependency) {
      const found = byName.get(dep);
      if (found === undefined) throw new Error(`${proto.name} imports ${dep}, which is not in envoyFiles`);
      place(found);
    }
    ordered.push(proto);
  };
  for (const f of files) place(f.proto);
  return ordered;
}

const stock: FileRegistry = createFileRegistry(create(FileDescriptorSetSchema, { file: inDependencyOrder(envoyFiles) }));

// A descriptor as plain data: its own properties, its members' (fields, values, oneofs, methods)
// one level down, every other descriptor it points at by kind and name.
function fingerprint(desc: object, depth = 0): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desc)) {
    if (key === "proto" || key === "parent" || typeof value === "function") continue;
    out[key] = shape(value, depth);
  }
  return out;
}

function shape(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shape(v, depth));
  if (typeof value !== "object" || value === null) return value;
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== "string") return fingerprint(value, depth + 1);
  const member = kind === "field" || kind === "enum_value" || kind === "oneof" || kind === "rpc";
  if (member && depth === 0) return fingerprint(value, depth + 1);
  const named = value as { typeName?: string; name?: string; number?: number };
  return `${kind}:${named.typeName ?? named.name ?? ""}${kind === "field" ? `#${named.number}` : ""}`;
}

describe("the generated files' fileDesc", () => {
  it("hydrates every type exactly as protobuf-es does from the same descriptors", () => {
    let compared = 0;
    for (const expected of stock) {
      const actual = envoyRegistry.get(expected.typeName);
      expect(actual, expected.typeName).toBeDefined();
      expect(fingerprint(actual as object), expected.typeName).toEqual(fingerprint(expected));
      compared++;
    }
    expect(compared).toBe([...envoyRegistry].length);
    expect(compared).toBeGreaterThan(2_000);
  });

  it("links each file to the files it imports, the generated ones themselves", () => {
    const byName = new Map(envoyFiles.map((f) => [f.proto.name, f]));
    for (const file of envoyFiles) {
      const expected = stock.getFile(file.proto.name);
      expect(file.dependencies.map((d) => d.proto.name), file.proto.name).toEqual(expected?.dependencies.map((d) => d.proto.name));
      for (const dep of file.dependencies) {
        expect(dep, `${file.proto.name} → ${dep.proto.name}`).toBe(byName.get(dep.proto.name));
        expect(Object.getPrototypeOf(dep)).toBe(Object.prototype);
      }
    }
  });

  it("points every field at the one descriptor of its type", () => {
    for (const type of envoyRegistry) {
      if (type.kind !== "message") continue;
      for (const field of type.fields) {
        if (field.message !== undefined) expect(field.message, `${type.typeName}.${field.name}`).toBe(envoyRegistry.getMessage(field.message.typeName));
        if (field.enum !== undefined) expect(field.enum, `${type.typeName}.${field.name}`).toBe(envoyRegistry.getEnum(field.enum.typeName));
      }
    }
  });

  it("keeps each file's whole import closure reachable through its dependencies", () => {
    const closure = (file: DescFile, seen = new Set<string>()): Set<string> => {
      if (!seen.has(file.proto.name)) {
        seen.add(file.proto.name);
        for (const dep of file.dependencies) closure(dep, seen);
      }
      return seen;
    };
    for (const file of envoyFiles) expect(closure(file), file.proto.name).toEqual(closure(stock.getFile(file.proto.name) as DescFile));
    expect(closure(file_envoy_config_cluster_v3_cluster).size).toBeGreaterThan(30);
  });

  it("resolves types a file reaches through `import public`", () => {
    // e.g. v2 core/base.proto re-exports socket_option.proto publicly; files importing base use its types.
    const reexporting = envoyFiles.filter((f) => f.proto.publicDependency.length > 0);
    const users = envoyFiles.filter((f) => f.dependencies.some((d) => reexporting.includes(d)));
    expect(users.length).toBeGreaterThan(10);
    for (const user of users) expect(fingerprint(user), user.proto.name).toEqual(fingerprint(stock.getFile(user.proto.name) as DescFile));
  });

  it("is what every generated file imports", () => {
    for (const file of envoyFiles.filter((f) => !f.proto.name.startsWith("google/protobuf/"))) {
      const source = readFileSync(new URL(`./gen/${file.name}_pb.ts`, import.meta.url), "utf8");
      expect(source, file.name).toMatch(/^import \{ (\w+, )*fileDesc(, \w+)* \} from "(\.\.\/)+file-desc\.js";$/m);
    }
  });
});
