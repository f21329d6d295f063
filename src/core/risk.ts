/** How much harm a tool can do: LOW reads, MEDIUM writes what can be undone, HIGH acts irreversibly. */
export type RiskTier = "LOW" | "MEDIUM" | "HIGH";
export const RISK_TIERS: readonly RiskTier[] = ["LOW", "MEDIUM", "HIGH"];
