/**
 * The public API of langgraph-plan-execute: the agent factory and graph builder, the agent as a
 * LangChain tool, the state, settings, stop and event types an embedding app handles, the tools,
 * and scripted models for offline tests. The fake OpenAI server is at `langgraph-plan-execute/fake-openai`.
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
} from "./agent.js";
export { createPlanExecuteTool, type PlanExecuteToolOptions } from "./agent-tool.js";
export { buildPlanExecuteGraph } from "./graph/builder.js";
export type { NodeDeps as PlanExecuteGraphDeps } from "./nodes/deps.js";

// State, input and update.
export {
  PlanExecuteInput,
  PlanExecuteState,
  STEP_STATUSES,
  type Approval,
  type AttemptLogEntry,
  type AuditEntry,
  type Evaluation,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type RoleUsage,
  type StepRecord,
  type StepStatus,
  type UsageByRole,
} from "./graph/state.js";
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
} from "./graph/context.js";

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
} from "./graph/decisions.js";

// Progress events (`streamMode: "custom"`).
export { isProgressEvent, type ProgressEvent } from "./graph/events.js";

// Models.
export {
  DEFAULT_MODEL,
  fixedModelProvider,
  openAIModelProvider,
  type ModelProvider,
  type OpenAIProviderOptions,
} from "./models/provider.js";
export { MODEL_ROLES, type ModelRole } from "./models/roles.js";
export {
  ScriptedChatModel,
  scriptedRoles,
  type ScriptedCall,
  type ScriptedChatModelOptions,
  type ScriptedReply,
} from "./models/scripted.js";

// Tools.
export { ToolRegistry } from "./tools/registry.js";
export {
  RISK_TIERS,
  ToolInputError,
  TransientToolError,
  type PlanTool,
  type RiskTier,
  type TokenUsage,
  type ToolContext,
} from "./tools/types.js";
export {
  calculatorTool,
  copySampleSalesCsv,
  createCalculatorTool,
  createDataTools,
  createDefaultTools,
  createFileTools,
  createHttpGetTool,
  createSearchTool,
  createWebSearchTool,
  DEFAULT_WORKSPACE,
  fromLangChainTool,
  llmTool,
  loadMcpTools,
  McpConfigError,
  searchTool,
  summarizeTool,
  type CalculatorOptions,
  type LoadedMcpTools,
  type ToolSuiteOptions,
} from "./tools/index.js";
export { SAMPLE_SALES_CSV, type DataToolOptions } from "./tools/data.js";
export { createSendEmailTool, type SendEmailOptions } from "./tools/email.js";
export type { FileToolOptions } from "./tools/files.js";
export type { HttpGetOptions } from "./tools/http.js";
export type { FromLangChainToolOptions } from "./tools/langchain.js";
export { parseMcpConfig, readMcpConfig, type LoadMcpToolsOptions, type McpConfig } from "./tools/mcp.js";
export type { CorpusDoc, SearchOutput, SearchResult } from "./tools/search.js";
export type { WebSearchOptions } from "./tools/web-search.js";

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
} from "./runs/lease.js";

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
