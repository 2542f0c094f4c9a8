// The store subcommands' names, apart from store-cli.ts: the entry point checks its first
// argument against them before anything else loads (the store CLI's etcd client, YAML and
// validator cost a control plane's start-up ~0.4-1 s of CPU it does not need).

/** The subcommands of the store CLI (`xdskit-example-control-plane apply|get|delete ...`). */
export const STORE_COMMANDS: ReadonlySet<string> = new Set(["apply", "get", "delete"]);
