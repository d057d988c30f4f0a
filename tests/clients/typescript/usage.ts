// Reads the API the way a frontend does, typed by the generated `api.d.ts` (openapi-typescript).
// The test compiles this with `tsc --strict` and runs it with Node against a live server.
import type { components, paths } from "./generated/api";

type ConditionRecord = components["schemas"]["ConditionRecord"];
type ConditionPage =
  paths["/v1/conditions"]["get"]["responses"][200]["content"]["application/json"];
type CodeLookup = components["schemas"]["CodeLookup"];
type MatchResponse = components["schemas"]["MatchResponse"];
type Problem = components["schemas"]["Problem"];

async function read<T>(base: string, path: string): Promise<T> {
  const response = await fetch(base + path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    const problem = (await response.json()) as Problem;
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
  }
  return (await response.json()) as T;
}

async function main(base: string, slug: string): Promise<void> {
  const record = await read<ConditionRecord>(base, `/v1/conditions/${slug}`);
  const symptoms: string[] = (record.sections.symptoms?.items ?? []).map((item) => item.name);
  const page = await read<ConditionPage>(base, "/v1/conditions?limit=3");
  const names: string[] = "items" in page ? page.items.map((item) => item.name ?? "") : [];
  const code = await read<CodeLookup>(base, "/v1/codes/icd10cm/G61.82");
  const carriers: string[] = code.conditions.map((condition) => condition.slug);
  const match = await read<MatchResponse>(base, "/v1/conditions/match?symptoms=HP:0012078");
  const ranked: number[] = match.items.map((item) => item.score);
  console.log(
    JSON.stringify({
      name: record.name,
      disclaimer: record.disclaimer,
      symptoms,
      listed: names.length,
      carriers,
      ranked: ranked.length,
    }),
  );
}

const [base, slug] = process.argv.slice(2);
if (base === undefined || slug === undefined) throw new Error("usage: node usage.js BASE_URL SLUG");
main(base, slug).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
