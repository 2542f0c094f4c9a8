// Our side of the validation benchmark (bench/SCENARIOS.md section 8). Writes the resource file
// both sides read, or times @xdskit/validate on it the way the Go peer times ValidateAll():
// decoding is not timed, warm-up passes (the first compiles the rules; the JIT needs a few
// more before the code is optimized), then N timed passes.
//
//   node dist/validate/bench.js write --out FILE --clusters 1000 --listeners 100
//   node dist/validate/bench.js bench --in FILE --passes 20 --warmup 10
// The bench command prints one JSON object with every pass's time per figure.

import { readFileSync, writeFileSync } from "node:fs";
import { type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { AnySchema, anyUnpack } from "@bufbuild/protobuf/wkt";
import { envoyRegistry } from "@xdskit/envoy-api/registry";
import { createValidator, type ResourcesByType } from "@xdskit/validate";
import { benchResources, decodeResourceFile, encodeResourceFile } from "./resources.js";

function flag(args: string[], name: string, fallback?: string): string {
	const i = args.indexOf(`--${name}`);
	const value = i >= 0 ? args[i + 1] : fallback;
	if (value === undefined) throw new Error(`--${name} is required`);
	return value;
}

interface Resource {
	readonly typeUrl: string;
	readonly schema: DescMessage;
	readonly message: Message;
}

function decodeResources(file: Uint8Array): Resource[] {
	return decodeResourceFile(file).map((bytes) => {
		const any = fromBinary(AnySchema, bytes);
		const message = anyUnpack(any, envoyRegistry);
		const schema = message === undefined ? undefined : envoyRegistry.getMessage(message.$typeName);
		if (message === undefined || schema === undefined) throw new Error(`cannot decode ${any.typeUrl}`);
		return { typeUrl: any.typeUrl, schema, message };
	});
}

// `prepare` (not timed) runs before each pass, the warm-up passes included.
function time(
	passes: number,
	warmup: number,
	run: () => number,
	prepare: () => void = () => {},
): { wallMs: number[]; cpuMs: number[]; first: number; firstMs: number } {
	prepare();
	const t0 = performance.now();
	const first = run();
	const firstMs = performance.now() - t0;
	for (let i = 1; i < warmup; i++) {
		prepare();
		run();
	}
	const wallMs: number[] = [];
	const cpuMs: number[] = [];
	for (let i = 0; i < passes; i++) {
		prepare();
		const cpu = process.cpuUsage();
		const start = performance.now();
		if (run() !== first) throw new Error("passes disagree");
		wallMs.push(performance.now() - start);
		const used = process.cpuUsage(cpu);
		cpuMs.push((used.user + used.system) / 1000);
	}
	return { wallMs, cpuMs, first, firstMs };
}

function bench(file: string, passes: number, warmup: number): void {
	// Read once: the fresh-objects passes decode these bytes again before each pass.
	const fileBytes = readFileSync(file);
	const resources = decodeResources(fileBytes);
	// PGV rules through every Any: the work go-control-plane's ValidateAll() does, and more. Every
	// Any content is walked on every pass (rememberValid off), as ValidateAll redoes its work.
	const rules = createValidator({ resourceChecks: [], snapshotChecks: [], references: false, rememberValid: false });
	// The same with the default rememberValid: Any contents found valid in an earlier pass (the same
	// byte arrays, compared byte for byte) are not walked again; the messages around them are.
	const remembering = createValidator({ resourceChecks: [], snapshotChecks: [], references: false });
	// Everything validateSnapshot does by default: rules, snapshot checks, references.
	const everything = createValidator();
	const byType: Record<string, Message[]> = {};
	for (const r of resources) {
		byType[r.typeUrl] ??= [];
		byType[r.typeUrl]?.push(r.message);
	}
	// One pass of `validator` over `list`: how many resources failed.
	const failuresOf = (validator: typeof rules, list: readonly Resource[]): number => {
		let failures = 0;
		for (const r of list) if (!validator.validateResource(r.typeUrl, "", r.message).ok) failures++;
		return failures;
	};
	const validate = time(passes, warmup, () => failuresOf(rules, resources));
	const remember = time(passes, warmup, () => failuresOf(remembering, resources));
	const snapshot = time(passes, warmup, () => everything.validateSnapshot(byType as ResourcesByType).violations.length);
	const marshal = time(passes, warmup, () => {
		let bytes = 0;
		for (const r of resources) bytes += toBinary(r.schema, r.message).length;
		return bytes;
	});
	// The rules pass again, on messages decoded anew before each pass (not timed): what validating a
	// snapshot just built or received costs. The passes above go over the same objects again, which
	// then sit in the processor's caches; so do Go's.
	let decoded = resources;
	const fresh = time(
		passes,
		warmup,
		() => failuresOf(rules, decoded),
		() => {
			decoded = decodeResources(fileBytes);
		},
	);
	process.stdout.write(
		`${JSON.stringify({
			resources: resources.length,
			passes,
			validateFailures: validate.first,
			snapshotViolations: snapshot.first,
			firstValidateMs: validate.firstMs,
			validateMs: validate.wallMs,
			validateCpuMs: validate.cpuMs,
			validateRememberMs: remember.wallMs,
			validateRememberCpuMs: remember.cpuMs,
			snapshotMs: snapshot.wallMs,
			marshalMs: marshal.wallMs,
			validateFreshMs: fresh.wallMs,
			validateFreshCpuMs: fresh.cpuMs,
			validateFreshFailures: fresh.first,
		})}\n`,
	);
}

const [command, ...args] = process.argv.slice(2);
if (command === "write") {
	const resources = benchResources({ clusters: Number(flag(args, "clusters", "1000")), listeners: Number(flag(args, "listeners", "100")) });
	writeFileSync(flag(args, "out"), encodeResourceFile(resources));
} else if (command === "bench") {
	bench(flag(args, "in"), Number(flag(args, "passes", "20")), Number(flag(args, "warmup", "10")));
} else {
	process.stderr.write("usage: bench.js write --out FILE [--clusters N] [--listeners M] | bench --in FILE [--passes N] [--warmup N]\n");
	process.exit(2);
}
