const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type Style = keyof typeof CODES;

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Wraps text in an SGR style when colour is on; returns it unchanged otherwise. */
export function paint(text: string, style: Style, enabled: boolean): string {
  if (!enabled || text === "") return text;
  const [on, off] = CODES[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, "");
}

/** Cuts text to `width` visible characters (escape sequences kept), ending in "…" when cut. */
export function truncateVisible(text: string, width: number): string {
  if (stripAnsi(text).length <= width) return text;
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
    if (visible === width - 1) return `${out}…${text.includes("\x1b") ? "\x1b[0m" : ""}`;
    out += text[i];
    visible++;
    i++;
  }
  return out;
}

/** Cursor movement for redrawing a block of lines in place. */
export const cursor = {
  /** Up `lines` lines to column 1, then clear to the end of the screen. */
  eraseUp: (lines: number): string => (lines > 0 ? `\x1b[${lines}F\x1b[J` : ""),
};
