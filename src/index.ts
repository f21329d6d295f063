/**
 * The public API of langgraph-plan-execute: the agent factory and graph builder, the agent as a
 * LangChain tool, the state, settings, stop and event types an embedding app handles, thread
 * operations (read, list, history, fork), thread leases and run reports. Tool implementations are
 * in `langgraph-plan-execute/tools` and `…/tools/mcp`; scripted models and the OpenAI-compatible
 * test server in `langgraph-plan-execute/testing`.
 */

// The agent.
export {
  createPlanExecuteAgent,
  PlanExecuteOptionsError,
  type PlanExecuteAgent,
  type PlanExecuteAgentOptions,
  type PlanExecuteInputValue,
  type PlanExecuteLimits,
  type PlanExecutePolicies,
} from "./agent/agent.js";
export { createPlanExecuteTool, type PlanExecuteToolOptions } from "./agent/agent-tool.js";
export { buildPlanExecuteGraph } from "./graph/builder.js";
export type { NodeDeps as PlanExecuteGraphDeps } from "./nodes/deps.js";

// State, input and update.
export {
  PlanExecuteInput,
  PlanExecuteState,
  STEP_STATUSES,
  type AnswerReview,
  type Approval,
  type AttemptLogEntry,
  type AuditEntry,
  type Draft,
  type Evaluation,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type Reflection,
  type RoleUsage,
  type StepRecord,
  type StepStatus,
  type UsageByRole,
} from "./core/state.js";
export { encodePlan, type PlanStep, type WirePlan, type WirePlanStep } from "./plan/schema.js";

// Run settings (`invoke(input, { context })`).
export {
  BUDGET_KEYS,
  LIMIT_KEYS,
  PlanExecuteContextSchema,
  POLICY_KEYS,
  resolveSettings,
  type BudgetKey,
  type LimitKey,
  type PlanExecuteContext,
  type PolicyKey,
  type Settings as PlanExecuteSettings,
} from "./core/settings.js";

// Stops for a person (interrupt payloads) and the resume values they accept.
export {
  BudgetDecisionSchema,
  parseDecision,
  PlanDecisionSchema,
  StepDecisionSchema,
  StepDecisionsSchema,
  type ApprovalRequest,
  type BudgetDecision,
  type PlanDecision,
  type StepDecision,
} from "./core/decisions.js";

// Progress events (`streamMode: "custom"`).
export { isProgressEvent, type ProgressEvent } from "./core/events.js";

// Models.
export {
  DEFAULT_MODEL,
  fixedModelProvider,
  openAIModelProvider,
  type ModelProvider,
  type OpenAIProviderOptions,
} from "./models/provider.js";
export { MODEL_ROLES, type ModelRole } from "./core/roles.js";

// Tools.
export { ToolRegistry } from "./tools/registry.js";
export {
  RISK_TIERS,
  ToolInputError,
  TransientToolError,
  type PlanTool,
  type RiskTier,
  type StepRevision,
  type TokenUsage,
  type ToolContext,
} from "./tools/types.js";
// The tool implementations are in `langgraph-plan-execute/tools` (MCP in `…/tools/mcp`), and scripted
// models and the OpenAI-compatible test server in `langgraph-plan-execute/testing`: an app that brings
// its own tools imports none of them.

// Threads: read, list, history and fork (time travel into a new thread).
export {
  forkThread,
  listThreads,
  readThread,
  statusOf as threadStatusOf,
  threadHistory,
  ThreadNotFoundError,
  type HistoryEntry,
  type ThreadGraph,
  type ThreadStatus,
  type ThreadSummary,
  type ThreadView,
} from "./agent/threads.js";

// One active run per thread: leases in the checkpointer's database.
export {
  postgresThreadLeases,
  sqliteThreadLeases,
  ThreadBusyError,
  ThreadLeaseLostError,
  threadLeasesFor,
  withThreadLease,
  type AcquireOptions as ThreadLeaseAcquireOptions,
  type LeaseHolder as ThreadLeaseHolder,
  type PostgresLeaseOptions,
  type SqliteDatabase,
  type SqliteLeaseOptions,
  type ThreadLease,
  type ThreadLeases,
} from "./agent/lease.js";

// Run reports: plain data from a thread's checkpoints, rendered as one HTML file or an SVG timeline.
export {
  buildRunReport,
  renderReportHtml,
  renderTimelineSvg,
  type RenderOptions as ReportRenderOptions,
  type RunReport,
  type ReportStep,
  type TimelineSvgOptions,
} from "./report/index.js";
