import type { InputRecord } from '../core/record.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { type TakeoutActivity, classifyActivity } from './activity.js';
import { digestWatch, watchIdentity } from './record-id.js';
import { SKIP_KINDS, type SkipKind, type TakeoutFormat, type TakeoutReport } from './report.js';

export interface TakeoutParseResult {
  /** One record per distinct watch, in the export's order (Takeout lists newest first). */
  readonly records: InputRecord[];
  readonly report: TakeoutReport;
}

/** Turns activities into records one at a time: classifies, identifies, merges duplicates, counts. */
export class TakeoutCollector {
  private readonly records: InputRecord[] = [];
  /** id → position, to merge duplicates; with the identity check of each record (no identity strings kept). */
  private readonly byId = new Map<string, number>();
  private readonly checks: number[] = [];
  /** One copy of each channel name and URL: many records share them, and large exports add up. */
  private readonly interned = new Map<string, string>();
  private readonly skipped = Object.fromEntries(SKIP_KINDS.map((kind) => [kind, 0])) as Record<SkipKind, number>;
  private readonly undatedReasons = new Map<string, number>();
  private entries = 0;
  private duplicatesMerged = 0;
  private removedVideos = 0;
  private resolvedWithSourceTimeZone = 0;

  constructor(
    private readonly format: TakeoutFormat,
    private readonly sourceTimeZone: string | null,
  ) {}

  add(activity: TakeoutActivity): void {
    this.entries++;
    const classification = classifyActivity(activity);
    if (classification.kind === 'skip') {
      this.skipped[classification.as]++;
      return;
    }
    const { video } = classification;
    const { timestamp } = activity;
    const watchedAt = timestamp.instant === null ? null : formatIsoInstant(timestamp.instant);
    const identity = watchIdentity(timestamp, watchedAt, video?.url ?? null, activity.text);
    const digest = digestWatch(identity);
    let id = digest.shortId;
    let position = this.byId.get(id);
    if (position !== undefined && this.checks[position] !== digest.check) {
      id = digest.fullId;
      position = this.byId.get(id);
    }
    if (position !== undefined) {
      this.duplicatesMerged++;
      this.fillGaps(this.records[position]!, activity);
      return;
    }

    const record: InputRecord = { id, watchedAt };
    if (video !== null) {
      record.videoId = video.videoId;
      const title = activity.videoTitle?.trim();
      if (title) record.videoTitle = title;
      record.videoUrl = video.url;
    } else {
      this.removedVideos++;
    }
    this.fillGaps(record, activity);
    record.product = activity.header?.trim() === 'YouTube Music' || video?.music === true ? 'YouTube Music' : 'YouTube';
    if (activity.hasDetails) record.isAd = true;

    if (timestamp.viaSourceTimeZone) this.resolvedWithSourceTimeZone++;
    if (timestamp.instant === null) {
      const reason = timestamp.problem ?? 'unresolved';
      this.undatedReasons.set(reason, (this.undatedReasons.get(reason) ?? 0) + 1);
    }
    this.byId.set(id, this.records.length);
    this.checks.push(digest.check);
    this.records.push(record);
  }

  /** The channel of a duplicate completes a record that lacks one; nothing is ever overwritten. */
  private fillGaps(record: InputRecord, activity: TakeoutActivity): void {
    if (record.channelTitle == null && record.channelUrl == null) {
      const name = activity.channelTitle?.trim();
      const url = activity.channelUrl?.trim();
      if (name) record.channelTitle = this.intern(name);
      if (url) record.channelUrl = this.intern(url);
    }
  }

  private intern(text: string): string {
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    this.interned.set(text, text);
    return text;
  }

  finish(): TakeoutParseResult {
    let ads = 0, music = 0, undated = 0, withoutChannel = 0;
    let first = Infinity, last = -Infinity;
    for (const record of this.records) {
      if (record.isAd) ads++;
      if (record.product === 'YouTube Music') music++;
      if (!record.channelTitle) withoutChannel++;
      if (record.watchedAt === null) {
        undated++;
      } else {
        const t = Date.parse(record.watchedAt);
        if (t < first) first = t;
        if (t > last) last = t;
      }
    }
    const skippedTotal = SKIP_KINDS.reduce((sum, kind) => sum + this.skipped[kind], 0);
    const undatedReasons = Object.fromEntries([...this.undatedReasons].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      records: this.records,
      report: {
        format: this.format,
        entries: this.entries,
        watches: this.records.length,
        ads,
        youtubeMusic: music,
        removedVideos: this.removedVideos,
        withoutChannel,
        undated,
        undatedReasons,
        resolvedWithSourceTimeZone: this.resolvedWithSourceTimeZone,
        duplicatesMerged: this.duplicatesMerged,
        skipped: { ...this.skipped },
        skippedTotal,
        firstWatchedAt: first === Infinity ? null : formatIsoInstant(first),
        lastWatchedAt: last === -Infinity ? null : formatIsoInstant(last),
        sourceTimeZone: this.sourceTimeZone,
      },
    };
  }
}
