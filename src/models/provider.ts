import { getRetryable } from "@langchain/core/errors";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AsyncCaller,
  classifyRateLimitError,
  type FailedAttemptHandler,
} from "@langchain/core/utils/async_caller";
import type { EnvConfig } from "../config/env.js";
import type { Settings } from "../core/settings.js";
import type { ModelRole } from "../core/roles.js";

/**
 * Chooses the chat model for a role. Nodes ask it (and await the answer); they never construct a
 * model themselves. It may answer with a promise, so a provider can load its client library on
 * first use — the OpenAI provider does, and an app that brings its own models never loads it.
 */
export type ModelProvider = (role: ModelRole, settings: Settings) => BaseChatModel | Promise<BaseChatModel>;

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
export function openAIModelProvider(
  env: EnvConfig,
  options: OpenAIProviderOptions = {},
): (role: ModelRole, settings: Settings) => Promise<BaseChatModel> {
  const cache = new Map<string, BaseChatModel>();
  return async (role, settings) => {
    const name = modelNameFor(role, settings, env);
    let model = cache.get(name);
    if (!model) {
      // Loaded on the first model call, not with the package: ~0.2 s of CPU an app with its own
      // models (or a CLI command that reads threads) never pays.
      const { ChatOpenAI } = await (openai ??= import("@langchain/openai"));
      model = cache.get(name);
      if (model) return model;
      model = new ChatOpenAI({
        model: name,
        // A keyless local server still needs a non-empty key for the client to send requests.
        apiKey: env.openaiApiKey ?? "not-needed",
        configuration: env.openaiBaseUrl ? { baseURL: env.openaiBaseUrl } : undefined,
        maxRetries: options.maxRetries ?? env.openaiMaxRetries ?? 3,
        timeout: options.timeoutMs ?? env.openaiTimeoutMs ?? 120_000,
        onFailedAttempt: retryDecision,
        streamUsage: true,
      });
      cache.set(name, model);
    }
    return model;
  };
}

let openai: Promise<typeof import("@langchain/openai")> | undefined;

/** LangChain's own retry decision, which it does not export on its own: read from a default caller. */
class DefaultRetryDecision extends AsyncCaller {
  get decision(): FailedAttemptHandler | undefined {
    return this.onFailedAttempt;
  }
}
const langchainRetryDecision = new DefaultRetryDecision({}).decision;

/**
 * Whether the client retries a failed model call (returns) or gives up (throws): LangChain's rules,
 * except that a 429 without `Retry-After` is retried with backoff. LangChain gives up on those at
 * once, reading them as a capacity limit; but OpenAI-compatible servers and proxies often send rate
 * limits without the header, and one such blip on the planner, the critic or the synthesizer would
 * end the whole run. A quota error (`insufficient_quota`) and a Retry-After over a minute still fail
 * at once.
 */
export function retryDecision(error: unknown): void {
  const rate = classifyRateLimitError(error);
  if (rate?.action === "capacity" && rate.retryAfterMs === undefined && getRetryable(error) !== false) return;
  langchainRetryDecision?.(error);
}

/** A fixed model per role (scripted models in tests and the offline demo, or an app's own models). */
export function fixedModelProvider(models: Record<ModelRole, BaseChatModel>): ModelProvider {
  return (role) => models[role];
}
