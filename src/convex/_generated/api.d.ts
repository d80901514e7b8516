/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as aggregations from "../aggregations.js";
import type * as app from "../app.js";
import type * as archive from "../archive.js";
import type * as changes from "../changes.js";
import type * as filterCombinations from "../filterCombinations.js";
import type * as lib_aggregationRows from "../lib/aggregationRows.js";
import type * as lib_archiveRows from "../lib/archiveRows.js";
import type * as maintenance from "../maintenance.js";
import type * as records from "../records.js";
import type * as rollout from "../rollout.js";
import type * as runs from "../runs.js";
import type * as validations from "../validations.js";
import type * as validators from "../validators.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  aggregations: typeof aggregations;
  app: typeof app;
  archive: typeof archive;
  changes: typeof changes;
  filterCombinations: typeof filterCombinations;
  "lib/aggregationRows": typeof lib_aggregationRows;
  "lib/archiveRows": typeof lib_archiveRows;
  maintenance: typeof maintenance;
  records: typeof records;
  rollout: typeof rollout;
  runs: typeof runs;
  validations: typeof validations;
  validators: typeof validators;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
