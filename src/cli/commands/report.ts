import { reportCommand } from "../report.js";
import { out, reader, type Cli } from "../session.js";

/** `report <thread>`: the run as one self-contained HTML file (and an SVG of its timeline). */
export default function report(cli: Cli, [threadId]: string[]): Promise<number> {
  return reportCommand(reader(cli), threadId, cli.flags, out, cli.db.where);
}
