// API reports: for every entry point of every publishable package (its "."
// export and each named subpath such as "./internal"), api-extractor writes the
// exported API as a Markdown report under the package's etc/. The reports are
// committed; `check` fails when the built declarations no longer match them, so
// every API change shows up as a diff in review. `update` rewrites them.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from "@microsoft/api-extractor";
import { publishablePackages, type WorkspacePackage } from "./workspace-packages.js";

export interface EntryPoint {
  readonly pkg: WorkspacePackage;
  /** The export key, such as "." or "./internal". */
  readonly subpath: string;
  /** The declaration file the export's `types` condition names, relative to the package. */
  readonly types: string;
  /** The report's base name (api-extractor appends ".api.md"). */
  readonly reportName: string;
}

interface ExportConditions {
  readonly types?: string;
}

/** Every entry point with a declaration file; wildcard subpaths (generated files) are left out. */
export function entryPoints(pkg: WorkspacePackage): EntryPoint[] {
  const exports = pkg.manifest.exports;
  if (exports === null || typeof exports !== "object") return [];
  const unscoped = pkg.name.replace(/^@[^/]+\//, "");
  const out: EntryPoint[] = [];
  for (const [subpath, target] of Object.entries(exports as Record<string, unknown>)) {
    if (subpath.includes("*") || target === null || typeof target !== "object") continue;
    const types = (target as ExportConditions).types;
    if (types === undefined) continue;
    const suffix = subpath === "." ? "" : `.${subpath.replace(/^\.\//, "").replaceAll("/", "-")}`;
    out.push({ pkg, subpath, types, reportName: `${unscoped}${suffix}` });
  }
  return out;
}

export interface ReportOutcome {
  readonly entry: EntryPoint;
  readonly succeeded: boolean;
  readonly changed: boolean;
  readonly problems: readonly string[];
}

const off = { logLevel: ExtractorLogLevel.None };
const warn = { logLevel: ExtractorLogLevel.Warning };

/** Runs api-extractor on one entry point: compares with (check) or rewrites (update) its committed report. */
export function reportEntry(entry: EntryPoint, mode: "check" | "update"): ReportOutcome {
  const temp = mkdtempSync(join(tmpdir(), "xdskit-api-report-"));
  const problems: string[] = [];
  if (mode === "update") mkdirSync(join(entry.pkg.dir, "etc"), { recursive: true });
  try {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: entry.pkg.dir,
        mainEntryPointFilePath: join(entry.pkg.dir, entry.types),
        compiler: { tsconfigFilePath: join(entry.pkg.dir, "tsconfig.json") },
        apiReport: {
          enabled: true,
          reportFileName: entry.reportName,
          reportFolder: join(entry.pkg.dir, "etc"),
          reportTempFolder: temp,
          includeForgottenExports: true,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        newlineKind: "lf",
        messages: {
          compilerMessageReporting: { default: warn },
          extractorMessageReporting: {
            default: warn,
            // We do not tag release levels: everything exported is public.
            "ae-missing-release-tag": off,
            // A forgotten export is listed in the report (a reviewer sees it), not fatal.
            "ae-forgotten-export": { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
            // Doc comments are checked by the reference-docs build, not here.
            "ae-undocumented": off,
            "ae-unresolved-link": off,
          },
          tsdocMessageReporting: { default: off },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(entry.pkg.dir, "package.json"),
    });
    const result = Extractor.invoke(config, {
      localBuild: mode === "update",
      messageCallback(message: ExtractorMessage) {
        message.handled = true;
        if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
          // An out-of-date report is the outcome this check exists for; it is reported as `changed`.
          if (message.messageId.startsWith("console-api-report-")) return;
          problems.push(message.formatMessageWithLocation(entry.pkg.dir));
        }
      },
    });
    return { entry, succeeded: result.succeeded && problems.length === 0, changed: result.apiReportChanged, problems };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Every entry point of every publishable package under `root`. */
export function allEntryPoints(root: string): EntryPoint[] {
  return publishablePackages(root).flatMap(entryPoints);
}
