/**
 * Run reports: `buildRunReport(graph, threadId)` reads a thread's checkpointed state and history
 * into plain data; `renderReportHtml` turns it into one self-contained HTML page (plan graph,
 * timeline, steps, tokens and cost, audit log, answer); `renderTimelineSvg` into a standalone SVG.
 */
export { buildRunReport } from "./build.js";
export { renderReportHtml, type RenderOptions } from "./html.js";
export { renderTimelineSvg, type TimelineSvgOptions } from "./svg.js";
export type {
  ReportAttempt,
  ReportMarker,
  ReportPhase,
  ReportPlanVersion,
  ReportStep,
  ReportStepStatus,
  ReportTokens,
  ReportUsage,
  ReportWait,
  RunReport,
} from "./model.js";
