// Hand-written Takeout snippets for tests, shaped like the real exports in ../shared/fixtures/real
// (written independently of fixtures/takeout-writer.ts, so the two check each other).

export const WHY_JSON = ['YouTube watch history'];

/** watch-history.json text from activity objects, pretty-printed as Takeout does. */
export function jsonExport(entries: readonly object[]): string {
  return JSON.stringify(entries, null, 2);
}

export interface HtmlEntryOptions {
  readonly header?: string;
  /** Inner HTML of the body cell's lines, joined with <br>. */
  readonly lines: readonly string[];
  /** Text of a "Details:" caption section (ads). */
  readonly details?: string;
}

export function htmlEntry(options: HtmlEntryOptions): string {
  const header = options.header ?? 'YouTube';
  const details = options.details === undefined ? '' : `<b>Details:</b><br>&emsp;${options.details}<br>`;
  return (
    '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">' +
    `<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">${header}<br></p></div>` +
    `<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">${options.lines.join('<br>')}<br></div>` +
    '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 mdl-typography--text-right"></div>' +
    `<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption"><b>Products:</b><br>&emsp;YouTube<br>${details}` +
    '<b>Why is this here?</b><br>&emsp;This activity was saved to your Google Account because the following settings were on:&nbsp;YouTube watch history.&nbsp;You can control these settings &nbsp;<a href="https://myaccount.google.com/activitycontrols">here</a>.</div>' +
    '</div></div>'
  );
}

export function htmlExport(entries: readonly string[]): string {
  return (
    '<html><head><title>My Activity History</title><style type="text/css">.outer-cell{margin:0}</style></head>' +
    `<body><div class="mdl-grid">${entries.join('')}</div></body></html>`
  );
}

/** The body line of a watch: "Watched" + NBSP + the video anchor. */
export function watchedLine(url: string, title: string): string {
  return `Watched\u00a0<a href="${url}">${title}</a>`;
}

export function channelLine(url: string, name: string): string {
  return `<a href="${url}">${name}</a>`;
}
