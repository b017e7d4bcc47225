/** Placeholder until the conversation engine lands: says so instead of pretending to check. */
export async function runFlowsCheck(dir: string): Promise<number> {
  process.stdout.write(`flows check: not implemented yet (the conversation engine will validate ${dir}/).\n`);
  return 0;
}
