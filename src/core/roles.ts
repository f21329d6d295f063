/** The four places the agent uses a chat model; each can get its own model. */
export const MODEL_ROLES = ["planner", "executor", "evaluator", "synthesizer"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
