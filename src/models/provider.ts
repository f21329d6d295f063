import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatOpenAI } from "@langchain/openai";
import type { EnvConfig } from "../config/env.js";
import type { Settings } from "../graph/context.js";
import type { ModelRole } from "./roles.js";

/** Chooses the chat model for a role. Nodes ask it; they never construct a model themselves. */
export type ModelProvider = (role: ModelRole, settings: Settings) => BaseChatModel;

export const DEFAULT_MODEL = "gpt-4o-mini";

const SETTING_FOR_ROLE = {
  planner: "plannerModel",
  executor: "executorModel",
  evaluator: "evaluatorModel",
  synthesizer: "synthesizerModel",
} as const satisfies Record<ModelRole, keyof Settings>;

/** The model name for a role: the run's setting, else the environment's, else {@link DEFAULT_MODEL}. */
export function modelNameFor(role: ModelRole, settings: Settings, env: EnvConfig): string {
  return settings[SETTING_FOR_ROLE[role]] ?? env.models[role] ?? DEFAULT_MODEL;
}

export interface OpenAIProviderOptions {
  /** Retries of one model call by the client on 429/5xx/connection errors. */
  maxRetries?: number;
  /** Time limit of one model call. */
  timeoutMs?: number;
}

/**
 * Models from any OpenAI-compatible endpoint (`OPENAI_BASE_URL`), one client per model name.
 *
 * @example
 * const models = openAIModelProvider(readEnv());
 * const graph = createPlanExecuteAgent({ models });
 */
export function openAIModelProvider(env: EnvConfig, options: OpenAIProviderOptions = {}): ModelProvider {
  const cache = new Map<string, BaseChatModel>();
  return (role, settings) => {
    const name = modelNameFor(role, settings, env);
    let model = cache.get(name);
    if (!model) {
      model = new ChatOpenAI({
        model: name,
        // A keyless local server still needs a non-empty key for the client to send requests.
        apiKey: env.openaiApiKey ?? "not-needed",
        configuration: env.openaiBaseUrl ? { baseURL: env.openaiBaseUrl } : undefined,
        maxRetries: options.maxRetries ?? 3,
        timeout: options.timeoutMs ?? 120_000,
        streamUsage: true,
      });
      cache.set(name, model);
    }
    return model;
  };
}

/** A fixed model per role (scripted models in tests and the offline demo, or an app's own models). */
export function fixedModelProvider(models: Record<ModelRole, BaseChatModel>): ModelProvider {
  return (role) => models[role];
}
