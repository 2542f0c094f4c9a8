// Preload (node --import) for start-up analysis of a server that prints a READY line (our bench
// server does): counts the modules it loads, generated `_pb.js` files apart, and at the READY line
// writes to stderr one `STARTUP {json}` line: CPU ms (process.cpuUsage), ms since the process
// started, modules, generated files, heap. STARTUP_MODULES=<file>: the list of module URLs, in
// load order. STARTUP_EXIT=1: exit right after READY. Used by src/startup-compare.ts.
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const urls = [];
registerHooks({
	load(url, context, next) {
		urls.push(url);
		return next(url, context);
	},
});
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
	if (String(chunk).startsWith("READY")) {
		const cpu = process.cpuUsage();
		const figures = {
			cpuMs: Math.round((cpu.user + cpu.system) / 1000),
			uptimeMs: Math.round(process.uptime() * 1000),
			modules: urls.length,
			generated: urls.filter((u) => u.endsWith("_pb.js")).length,
			heapMiB: Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10,
		};
		process.stderr.write(`STARTUP ${JSON.stringify(figures)}\n`);
		if (process.env.STARTUP_MODULES) writeFileSync(process.env.STARTUP_MODULES, `${urls.join("\n")}\n`);
		if (process.env.STARTUP_EXIT) setTimeout(() => process.exit(0), 10);
	}
	return write(chunk, ...rest);
};
