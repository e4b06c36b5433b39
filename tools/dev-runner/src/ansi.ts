import { stripVTControlCharacters, styleText } from "node:util";

/** The styles the runner uses, each a `util.styleText` format. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "gray";

/**
 * Text in a style when colour is on; unchanged otherwise. Whether it is on is decided once per
 * output (system.ts: a terminal whose `hasColors()` says so, the same rule styleText applies to
 * NO_COLOR, FORCE_COLOR and TERM=dumb), so styleText is not asked to check a stream again here:
 * the output may be any writer (a test's, the benchmark's).
 */
export function paint(text: string, style: Style, enabled: boolean): string {
  if (!enabled || text === "") return text;
  return styleText(style, text, { validateStream: false });
}

// What styleText has no word for stays below, written by hand: reading escape sequences back (to
// cut styled text to a width) and moving the cursor.

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;
/** Turns every style off (SGR 0): ends a line cut inside a styled span. */
const RESET = "\x1b[0m";

/** Cuts text to `width` visible characters (escape sequences kept), ending in "…" when cut. */
export function truncateVisible(text: string, width: number): string {
  if (stripVTControlCharacters(text).length <= width) return text;
  let out = "";
  let visible = 0;
  for (let i = 0; i < text.length;) {
    ESCAPE.lastIndex = i;
    const escape = text[i] === "\x1b" ? ESCAPE.exec(text) : null;
    if (escape && escape.index === i) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    if (visible === width - 1) return `${out}…${text.includes("\x1b") ? RESET : ""}`;
    out += text[i];
    visible++;
    i++;
  }
  return out;
}

/** Cursor movement for redrawing a block of lines in place. */
export const cursor = {
  /** Up `lines` lines to column 1 (CPL), then clear to the end of the screen (ED). */
  eraseUp: (lines: number): string => (lines > 0 ? `\x1b[${lines}F\x1b[J` : ""),
};
