/** The marker line that must stand right before a ```ts fence for it to be run. */
export const marker = "<!-- readme-example -->";

/** The ```ts blocks of a README that follow the marker line, in order. */
export function extractExamples(markdown: string): string[] {
  const lines = markdown.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== marker) continue;
    const fence = lines[i + 1]?.trim();
    if (fence !== "```ts" && fence !== "```typescript") {
      throw new Error(`line ${i + 2}: ${marker} must be followed by a \`\`\`ts fence`);
    }
    const end = lines.findIndex((l, j) => j > i + 1 && l.trim() === "```");
    if (end < 0) throw new Error(`line ${i + 2}: unterminated code fence`);
    out.push(lines.slice(i + 2, end).join("\n") + "\n");
    i = end;
  }
  return out;
}
