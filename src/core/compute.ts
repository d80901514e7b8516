import { AGGREGATION_TYPES, type AggregationType } from './aggregations/definition.js';
import type { ComputeContext, ResolvedContext } from './context.js';
import { type Dataset, prepareDataset, selectView } from './dataset.js';
import { DEFAULT_FILTERS, type Filters, filterHash } from './filters.js';
import { type JsonShape, type JsonValue, measureJson } from './json.js';
import type { InputRecord } from './record.js';
import { REGISTRY } from './registry.js';

export interface AggregationResult {
  readonly type: AggregationType;
  readonly version: number;
  readonly filters: Filters;
  readonly filterHash: string;
  readonly data: JsonValue;
  /** The canonical JSON text of `data` (keys sorted at every depth): what is hashed and stored. */
  readonly json: string;
  /** Size figures for the storage layer (Convex: 1 MiB documents, 8,192-element arrays, 1,024 fields). */
  readonly shape: JsonShape;
}

export interface ComputeRequest {
  readonly records: readonly InputRecord[];
  readonly context: ComputeContext | ResolvedContext;
  /** Default: all ten, in canonical order. */
  readonly types?: readonly AggregationType[];
  /** Canonical filter sets (see canonicalFilters). Default: the unfiltered set only. */
  readonly filterSets?: readonly Filters[];
}

export interface DatasetSummary {
  readonly asOf: string;
  readonly timeZone: string;
  /** Records that are not ads. */
  readonly records: number;
  readonly ads: number;
  readonly undated: number;
  readonly channels: number;
  readonly topics: number;
}

export function summarizeDataset(dataset: Dataset): DatasetSummary {
  return {
    asOf: dataset.context.asOf,
    timeZone: dataset.context.timeZone,
    records: dataset.recordCount,
    ads: dataset.adCount,
    undated: dataset.byProduct.All.undated.length,
    channels: dataset.channels.length,
    topics: dataset.topics.length,
  };
}

/** A result whose shape is measured only when asked for: writing JSON out needs the text alone. */
class ComputedResult implements AggregationResult {
  #shape: JsonShape | undefined;
  constructor(
    readonly type: AggregationType,
    readonly version: number,
    readonly filters: Filters,
    readonly filterHash: string,
    readonly data: JsonValue,
    readonly json: string,
  ) {}

  get shape(): JsonShape {
    return (this.#shape ??= measureJson(this.data, this.json));
  }
}

/**
 * Computes each type for each filter set over one prepared dataset, one filter set at a time, so that
 * memory holds the records plus one filter set's views (and whatever results the caller keeps).
 */
export function* iterateAggregations(
  dataset: Dataset,
  types: readonly AggregationType[] = AGGREGATION_TYPES,
  filterSets: readonly Filters[] = [DEFAULT_FILTERS],
): Generator<AggregationResult> {
  for (const filters of filterSets) {
    const view = selectView(dataset, filters);
    const hash = filterHash(filters);
    for (const type of types) {
      const definition = REGISTRY[type];
      const data = definition.compute(view, dataset) as JsonValue;
      // Every definition builds its objects with keys in sorted order, so the native serializer
      // already writes canonical JSON (a test holds every type to this).
      yield new ComputedResult(type, definition.version, filters, hash, data, JSON.stringify(data));
    }
  }
}

/** The one entry point: normalize and sort once, then compute every requested type and filter set. */
export function computeAggregations(request: ComputeRequest): { summary: DatasetSummary; results: AggregationResult[] } {
  const dataset = prepareDataset(request.records, request.context);
  const results = [...iterateAggregations(dataset, request.types, request.filterSets)];
  return { summary: summarizeDataset(dataset), results };
}
