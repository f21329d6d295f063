import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers of src/, lowest first. A folder may import from its own layer and the ones below,
 * never from one above: the plan algebra knows nothing of LangGraph, the contracts in core/ know
 * no node, and nodes do not know how the graph is assembled.
 */
const LAYERS = [
  ["plan"],
  ["core"],
  ["models", "tools", "tracing", "config", "testing"],
  ["execution"],
  ["nodes"],
  ["graph"],
  ["agent"],
  ["report"],
  ["cli", "demo"],
];

const layerRules = LAYERS.flatMap((folders, level) => {
  const above = LAYERS.slice(level + 1).flat();
  const patterns = above.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`]);
  // Top-level modules (index, studio) sit above every folder.
  patterns.push("../index.js", "../studio.js", "../../index.js", "../../studio.js");
  if (level === 0) patterns.push("@langchain/*");
  return folders.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: patterns,
              message: `src/${folder} is on layer ${level} (see LAYERS in eslint.config.js): it may not import from a layer above it.`,
            },
          ],
        },
      ],
    },
  }));
});

export default tseslint.config(
  { ignores: ["dist/", ".test-build/", "node_modules/", ".plan-execute/", "coverage/", "bin/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read the environment only in src/config/env.ts." },
      ],
    },
  },
  ...layerRules,
  {
    files: ["src/config/env.ts", "test/**", "bench/**", "scripts/**", "vitest.config.ts"],
    rules: { "no-restricted-properties": "off" },
  },
);
