/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as aggregations from "../aggregations.js";
import type * as archive from "../archive.js";
import type * as changes from "../changes.js";
import type * as contents from "../contents.js";
import type * as filterCombinations from "../filterCombinations.js";
import type * as ingest from "../ingest.js";
import type * as lib_aggregationRows from "../lib/aggregationRows.js";
import type * as lib_archiveRestores from "../lib/archiveRestores.js";
import type * as lib_archiveRows from "../lib/archiveRows.js";
import type * as lib_contentRows from "../lib/contentRows.js";
import type * as limits from "../limits.js";
import type * as maintenance from "../maintenance.js";
import type * as records from "../records.js";
import type * as rollout from "../rollout.js";
import type * as runs from "../runs.js";
import type * as serving from "../serving.js";
import type * as validations from "../validations.js";
import type * as validators from "../validators.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  aggregations: typeof aggregations;
  archive: typeof archive;
  changes: typeof changes;
  contents: typeof contents;
  filterCombinations: typeof filterCombinations;
  ingest: typeof ingest;
  "lib/aggregationRows": typeof lib_aggregationRows;
  "lib/archiveRestores": typeof lib_archiveRestores;
  "lib/archiveRows": typeof lib_archiveRows;
  "lib/contentRows": typeof lib_contentRows;
  limits: typeof limits;
  maintenance: typeof maintenance;
  records: typeof records;
  rollout: typeof rollout;
  runs: typeof runs;
  serving: typeof serving;
  validations: typeof validations;
  validators: typeof validators;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {};
