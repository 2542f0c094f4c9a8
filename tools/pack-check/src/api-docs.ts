// The API reference: api-extractor reads every entry point of every
// publishable package (the declarations and their doc comments, as the API
// reports do) and writes its doc model; api-documenter turns the models into
// Markdown under docs/api/. The same run is the check: an exported symbol (or
// a member of one) without a doc comment (`ae-undocumented`) or a {@link}
// that resolves to nothing (`ae-unresolved-link`) is a problem, and
// `pnpm docs:check` fails on any.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from "@microsoft/api-extractor";
import type { EntryPoint } from "./api-report.js";

const off = { logLevel: ExtractorLogLevel.None };
const warn = { logLevel: ExtractorLogLevel.Warning };

/** What api-extractor said about one entry point's documentation. */
export interface DocsOutcome {
  readonly entry: EntryPoint;
  /** One line per undocumented symbol or broken link, with its file and line. */
  readonly problems: readonly string[];
}

/**
 * The package name a doc model is filed under: the package's for its main
 * entry, `<package>.<subpath>` for another, as the API reports are named
 * (api-documenter files each model under its package name, so two entries of
 * one package must not share one, and a package name cannot hold a second "/").
 */
export function docModelName(entry: EntryPoint): string {
  return entry.subpath === "." ? entry.pkg.name : `${entry.pkg.name}.${entry.subpath.replace(/^\.\//, "").replaceAll("/", ".")}`;
}

/**
 * Checks one entry point's doc comments and, when `modelDir` is given,
 * writes its doc model there (`<reportName>.api.json`).
 */
export function documentEntry(entry: EntryPoint, modelDir?: string): DocsOutcome {
  const temp = mkdtempSync(join(tmpdir(), "xdskit-api-docs-"));
  const problems: string[] = [];
  try {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: entry.pkg.dir,
        mainEntryPointFilePath: join(entry.pkg.dir, entry.types),
        compiler: { tsconfigFilePath: join(entry.pkg.dir, "tsconfig.json") },
        // api-extractor says `ae-undocumented` only while it writes a report: one goes to a temp folder.
        apiReport: { enabled: true, reportFileName: entry.reportName, reportFolder: temp, reportTempFolder: temp },
        docModel: {
          enabled: modelDir !== undefined,
          apiJsonFilePath: join(modelDir ?? temp, `${entry.reportName}.api.json`),
        },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        newlineKind: "lf",
        messages: {
          compilerMessageReporting: { default: off },
          extractorMessageReporting: {
            default: off,
            "ae-undocumented": warn,
            "ae-unresolved-link": warn,
          },
          tsdocMessageReporting: { default: off },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(entry.pkg.dir, "package.json"),
      // Only the name and version matter to the doc model.
      packageJson: { name: docModelName(entry), version: entry.pkg.manifest.version ?? "0.0.0" },
    });
    Extractor.invoke(config, {
      localBuild: true,
      messageCallback(message: ExtractorMessage) {
        message.handled = true;
        if (message.messageId.startsWith("console-")) return;
        if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
          problems.push(message.formatMessageWithLocation(entry.pkg.dir));
        }
      },
    });
    return { entry, problems };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
